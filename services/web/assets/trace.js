// The browser's part of a trace, without a library: a click on a link or a
// form's submission starts a span whose id the request carries (its
// `traceparent`, in the query string: a browser cannot set a header on a
// navigation); the next page ends it and reports it to the storefront,
// which exports it with the rest of the trace. The page works without it.
(function () {
  "use strict";
  var PENDING = "testbed.browser-span";
  function hex(bytes) {
    return Array.prototype.map
      .call(crypto.getRandomValues(new Uint8Array(bytes)), function (b) { return b.toString(16).padStart(2, "0"); })
      .join("");
  }
  // Microseconds since the epoch: exact in a JavaScript number.
  function nowMicros() { return Math.round((performance.timeOrigin + performance.now()) * 1000); }
  function start(name) {
    var span = { trace_id: hex(16), span_id: hex(8), name: name.slice(0, 100), start_us: nowMicros() };
    sessionStorage.setItem(PENDING, JSON.stringify(span));
    return "00-" + span.trace_id + "-" + span.span_id + "-01";
  }
  function carrying(url, traceparent) {
    var target = new URL(url, location.href);
    target.searchParams.set("traceparent", traceparent);
    return target.toString();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.origin !== location.origin || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    link.href = carrying(link.href, start("click " + link.textContent.trim()));
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var label = event.submitter ? event.submitter.textContent.trim() : form.getAttribute("action");
    var traceparent = start("submit " + label);
    if (form.method.toLowerCase() === "get") {
      var field = form.querySelector("input[name=traceparent]") || document.createElement("input");
      field.type = "hidden";
      field.name = "traceparent";
      field.value = traceparent;
      form.appendChild(field);
    } else {
      form.action = carrying(form.action, traceparent);
    }
  }, true);
  // On the page the click led to: the span ends, and is reported.
  var pending = sessionStorage.getItem(PENDING);
  if (pending) {
    sessionStorage.removeItem(PENDING);
    var span = JSON.parse(pending);
    span.end_us = nowMicros();
    span.page = location.pathname;
    fetch("/telemetry/browser-spans", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(span),
      keepalive: true,
      credentials: "same-origin",
    });
  }
})();
