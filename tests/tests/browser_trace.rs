//! A click in the storefront is the root of its trace: the browser's span
//! (started by the pages' script, reported by the storefront) is the parent
//! of the storefront's server span, which calls the gateway, whose checkout
//! runs the saga through the broker to the notification. One test in this
//! binary: the tracer is the process's.

use std::time::Duration;

use e2e::browser::Browser;
use e2e::{Options, Shop};
use platform::config::TelemetrySettings;
use platform::telemetry::init_telemetry;
use platform::test_util::{OtlpReceiver, ReceivedSpan, eventually};

const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const CONSUMER: i32 = 5;

#[tokio::test]
async fn a_checkout_clicked_in_the_browser_is_one_trace_rooted_in_the_browser_s_span() {
    let receiver = OtlpReceiver::start().await;
    let telemetry = init_telemetry("shop", &TelemetrySettings::exporting_to(receiver.endpoint(), "info,sqlx=warn"));
    let shop = Shop::start(Options::default()).await;
    let kettle = shop.product("KETTLE-1", 2450, 5).await;
    let browser = Browser::start(false).await;

    browser.sign_up(&shop.web.address, "tracy@example.org", "Tracy", None).await;
    browser.goto(&shop.web.url(&format!("/products/{kettle}"))).await;
    browser.press("Add to cart").await;
    browser.wait_for("table.lines").await;
    browser.press("Place the order").await;
    browser.wait_for_text(".order-status", "CONFIRMED", Duration::from_secs(30)).await;

    // The click's span, reported once the order page was shown, and the
    // trace it roots: through the storefront and the gateway to the saga,
    // and on through the broker to the notification.
    let mut trace: Vec<ReceivedSpan> = Vec::new();
    eventually("the browser's checkout trace reached the collector", Duration::from_secs(30), || {
        telemetry.flush();
        let spans = receiver.spans();
        let click = spans.iter().find(|s| s.name == "browser: submit Place the order");
        trace = click.map(|c| spans.iter().filter(|s| s.trace_id == c.trace_id).cloned().collect()).unwrap_or_default();
        let consumed = trace.iter().any(|s| {
            s.kind == CONSUMER
                && s.attributes.get("messaging.destination.name").map(String::as_str)
                    == Some("notifications.order-events")
        });
        std::future::ready(consumed)
    })
    .await;
    let click = trace.iter().find(|s| s.name == "browser: submit Place the order").unwrap();
    assert_eq!(click.parent_span_id, "", "the browser's span is the root");
    assert_eq!((click.kind, click.attributes.get("browser").map(String::as_str)), (CLIENT, Some("true")));
    let page = trace
        .iter()
        .find(|s| s.kind == SERVER && s.attributes.get("shop.service").map(String::as_str) == Some("web"))
        .expect("the storefront's server span");
    assert_eq!(page.name, "POST /checkout");
    assert_eq!(page.parent_span_id, click.span_id, "the storefront's request is the click's child");
    let gateway = trace
        .iter()
        .find(|s| s.kind == SERVER && s.attributes.get("shop.service").map(String::as_str) == Some("gateway"))
        .expect("the gateway's server span");
    assert_eq!(gateway.name, "POST /api/v1/orders");
    for service in ["orders", "inventory", "payments"] {
        assert!(
            trace.iter().any(|s| s.attributes.get("shop.service").map(String::as_str) == Some(service)),
            "{service} in the browser's trace"
        );
    }
    // ... and the notification's consumer span, which the wait above found.
    browser.close().await;
}
