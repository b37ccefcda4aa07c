//! The order flow across every service, through the gateway.

use std::time::{Duration, Instant};

use e2e::{Options, Shop};
use orders::saga::Step;
use platform::test_util::{WithCaller, admin, eventually};
use serde_json::Value;

#[tokio::test]
async fn a_customer_orders_pays_and_is_notified() {
    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 1250, 10).await;
    let ada = shop.register("ada@example.org").await;

    let response = shop.order(&ada, &[(mug, 2)], "tok_visa").await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["total_minor"], 2500);

    let notifications = shop.notifications(&ada, 1).await;
    assert_eq!(notifications[0]["kind"], "order_confirmed");
    assert_eq!(notifications[0]["order_id"], order["id"]);
    let emails = shop.email_api.get_json("/v1/messages?to=ada@example.org").await;
    assert_eq!(emails["items"].as_array().unwrap().len(), 1);

    let dashboard = shop.get(&ada, "/api/v1/dashboard").await;
    assert_eq!(dashboard["degraded"], false, "{dashboard}");
    assert_eq!(dashboard["sections"]["recent_orders"]["data"][0]["id"], order["id"]);
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.orders_checked, 1);
}

#[tokio::test]
async fn a_declined_payment_cancels_releases_charges_nothing_and_says_so() {
    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 1250, 3).await;
    let ada = shop.register("ada@example.org").await;
    let order: Value = shop.order(&ada, &[(mug, 3)], "tok_decline").await.json().await.unwrap();
    assert_eq!(
        (order["status"].as_str(), order["cancel_reason"].as_str()),
        (Some("CANCELLED"), Some("payment_declined"))
    );

    let notifications = shop.notifications(&ada, 1).await;
    assert_eq!(notifications[0]["kind"], "order_cancelled");
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");
    let stock = shop.inventory.get_json(&format!("/internal/v1/stock/{mug}")).await;
    assert_eq!((stock["available"].as_i64(), stock["reserved"].as_i64()), (Some(3), Some(0)));
}

#[tokio::test]
async fn parallel_orders_for_the_last_units_never_oversell() {
    let shop = Shop::start(Options::default()).await;
    let units = 4;
    let mug = shop.product("MUG-1", 500, units).await;
    let mut tokens = Vec::new();
    for i in 0..16 {
        tokens.push(shop.register(&format!("buyer{i}@example.org")).await);
    }
    let started = Instant::now();
    let items = [(mug, 1)];
    let responses = futures::future::join_all(tokens.iter().map(|t| shop.order(t, &items, "tok_visa"))).await;
    let mut statuses = Vec::new();
    for response in responses {
        statuses.push(response.json::<Value>().await.unwrap()["status"].as_str().unwrap().to_owned());
    }
    eprintln!("{} parallel orders through the gateway answered in {:?}", tokens.len(), started.elapsed());
    assert_eq!(statuses.iter().filter(|s| *s == "CONFIRMED").count() as i64, units);
    assert_eq!(statuses.iter().filter(|s| *s == "CANCELLED").count(), tokens.len() - units as usize);
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");
    if report.events_checked != tokens.len() {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT e.order_id::text, string_agg(e.event_type, ',' ORDER BY e.version) FROM order_events e GROUP BY e.order_id",
        )
        .fetch_all(&shop.orders_database().await)
        .await
        .unwrap();
        panic!("{} outcome events for {} orders: {rows:#?}", report.events_checked, tokens.len());
    }
}

#[tokio::test]
async fn while_the_broker_is_down_events_wait_in_the_outbox_and_nothing_is_lost() {
    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 500, 10).await;
    let ada = shop.register("ada@example.org").await;

    shop.broker_relay.cut();
    for _ in 0..3 {
        let order: Value = shop.order(&ada, &[(mug, 1)], "tok_visa").await.json().await.unwrap();
        assert_eq!(order["status"], "CONFIRMED", "checkout does not need the broker");
    }
    let pending = || async {
        let metrics = reqwest::get(format!("{}/metrics", shop.orders.url())).await.unwrap().text().await.unwrap();
        metrics
            .lines()
            .find(|l| l.starts_with("outbox_pending_messages"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    eventually("the outbox backlog shows in the metrics", Duration::from_secs(10), || async { pending().await >= 6.0 })
        .await;
    let nothing_yet = shop.get(&ada, "/api/v1/notifications").await;
    assert_eq!(nothing_yet["total"], 0);

    shop.broker_relay.restore();
    let notifications = shop.notifications(&ada, 3).await;
    assert_eq!(notifications.len(), 3);
    eventually("the outbox drained", Duration::from_secs(10), || async { pending().await == 0.0 }).await;
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");
}

#[tokio::test]
async fn a_saga_cut_short_by_a_crash_is_finished_by_the_next_instance() {
    let mut shop = Shop::start(Options { orders_halt_after: Some(Step::Reserve), ..Options::default() }).await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let ada = shop.register("ada@example.org").await;
    let response = shop.order(&ada, &[(mug, 1)], "tok_visa").await;
    assert_eq!(response.status(), 202);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "PENDING");

    shop.restart_orders().await;
    let url = format!("{}/api/v1/orders/{}", shop.orders.url(), order["id"].as_str().unwrap());
    eventually("the order settled", Duration::from_secs(20), || async {
        let view: Value =
            reqwest::Client::new().get(&url).with_caller(&admin()).send().await.unwrap().json().await.unwrap();
        view["status"] == "CONFIRMED"
    })
    .await;
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");
}

#[tokio::test]
async fn the_invariant_checker_catches_a_charge_left_on_a_cancelled_order() {
    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 500, 5).await;
    let ada = shop.register("ada@example.org").await;
    let order: Value = shop.order(&ada, &[(mug, 1)], "tok_visa").await.json().await.unwrap();
    let cancel = shop
        .send(reqwest::Method::POST, &ada, &format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(cancel.status(), 200);
    assert!(shop.settled_invariants().await.is_clean());

    // Pretend the refund never happened.
    sqlx::query("UPDATE payments SET status = 'captured'").execute(&shop.payments_database().await).await.unwrap();
    let report = shop.invariants(Duration::from_secs(60)).await;
    assert!(!report.is_clean());
    assert!(report.violations[0].contains("CANCELLED but still has captured payments"), "{report}");
}

#[tokio::test]
async fn bad_orders_through_the_gateway_get_client_errors() {
    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 500, 5).await;
    let ada = shop.register("ada@example.org").await;
    let eve = shop.register("eve@example.org").await;
    let (status, code) = platform::test_util::error_of(shop.order(&ada, &[], "tok_visa").await).await;
    assert_eq!((status, code.as_str()), (422, "invalid_order"));
    assert_eq!(platform::test_util::error_of(shop.order(&ada, &[(mug, 0)], "tok_visa").await).await.0, 422);
    assert_eq!(
        platform::test_util::error_of(shop.order(&ada, &[(424242, 1)], "tok_visa").await).await.1,
        "unknown_product"
    );
    let order: Value = shop.order(&ada, &[(mug, 1)], "tok_visa").await.json().await.unwrap();
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    assert_eq!(platform::test_util::error_of(shop.send(reqwest::Method::GET, &eve, &path, None).await).await.0, 404);
    let anonymous =
        shop.gateway.http.post(shop.gateway.url("/api/v1/orders")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(platform::test_util::error_of(anonymous).await.0, 401);
}
