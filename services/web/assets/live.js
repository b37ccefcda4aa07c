// Pages that follow something as it happens (an order's saga, the control
// room) reload themselves while their "Follow live" box is ticked; untick it
// and the page holds still (a page that changes by itself must be possible
// to pause: WCAG 2.2.2). Without script, "Refresh now" does it by hand.
(function () {
  "use strict";
  var box = document.getElementById("follow-live");
  if (!box) return;
  var KEY = "testbed.follow-live";
  var every = Number(box.getAttribute("data-every")) || 5;
  box.checked = sessionStorage.getItem(KEY) !== "off";
  box.addEventListener("change", function () {
    sessionStorage.setItem(KEY, box.checked ? "on" : "off");
  });
  setInterval(function () {
    if (box.checked) location.reload();
  }, every * 1000);
})();
