//! The storefront's control room in a real browser: an admin switches a
//! fault on at chaos-proxy and off again, and the room, reading Prometheus,
//! shows the circuit breaker in front of it opening and closing. A
//! customer cannot open the room.

use std::time::Duration;

use e2e::browser::Browser;
use e2e::proxied::ProxiedStorefront;
use e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Options, Shop};
use platform::test_util::prometheus::TestPrometheus;
use platform::test_util::serve;

#[tokio::test]
async fn an_admin_switches_a_fault_on_and_off_and_the_room_shows_the_breaker_open_and_close() {
    let shop = Shop::start(Options::default()).await;

    // A storefront behind a proxy in front of the gateway, under steady
    // traffic, scraped by Prometheus: its breaker is what the room shows.
    let bench = ProxiedStorefront::start(&shop).await;
    let storefront = bench.storefront.url().trim_start_matches("http://").to_owned();
    let prometheus = TestPrometheus::start(&[("web".into(), storefront)], None).await;
    let control_url = bench.control_url.clone();

    // The room: a storefront of its own, straight at the gateway.
    let settings = web::configuration::Settings::for_tests(&shop.gateway.address)
        .with_control_room(&control_url, &prometheus.base);
    let room = serve(web::startup::build(settings).await).client();
    let browser = Browser::start(false).await;
    let within = Duration::from_secs(45);

    // A customer is turned away.
    browser.sign_up(&room.url(""), "carol@example.org", "Carol", None).await;
    browser.goto(&room.url("/control")).await;
    assert_eq!(browser.text("h1").await, "Refused");
    browser.goto(&room.url("/")).await;
    browser.press("Log out").await;
    browser.wait_for("a[href='/login']").await;

    browser.log_in(&room.url(""), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.goto(&room.url("/control")).await;
    browser.wait_for_text("tr[data-proxy=gateway] td.faults", "none", within).await;
    browser.wait_for_text("table.breaker tr[data-key='web gateway'] td.value", "closed", within).await;
    browser.screenshot("control-room").await;
    let violations = browser.serious_accessibility_violations().await;
    assert!(violations.is_empty(), "the control room's accessibility:\n{}", violations.join("\n"));

    // The gateway goes down behind the proxy: the storefront's breaker opens.
    browser.press("Down on gateway").await;
    browser.wait_for_text("tr[data-proxy=gateway] td.faults", "down", within).await;
    browser.wait_for_text("table.breaker tr[data-key='web gateway'] td.value", "open", within).await;
    browser.screenshot("control-room-breaker-open").await;

    // Every fault removed: the breaker lets calls through again and closes.
    browser.press("Remove all faults").await;
    browser.wait_for_text("tr[data-proxy=gateway] td.faults", "none", within).await;
    browser.wait_for_text("table.breaker tr[data-key='web gateway'] td.value", "closed", within).await;
    browser.close().await;
    bench.stop().await;
}
