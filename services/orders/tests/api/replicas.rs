//! Several orders processes on one database and broker, as the pods of a
//! scaled Deployment are: they start together, take checkouts side by side,
//! recover each other's sagas, and every order still reaches one outcome,
//! once, with one charge and one event for the others.

use platform::test_util::customer;
use secrecy::ExposeSecret;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{assert_stock, spawn_shop_with_orders_instances};

#[tokio::test]
async fn three_orders_instances_started_together_settle_every_order_once() {
    let shop = spawn_shop_with_orders_instances(3).await;
    assert_eq!(shop.other_orders.len(), 2, "three instances started (migrations raced and all succeeded)");
    let units = 4;
    let mug = shop.product("MUG-R", 990, units).await;

    // Nine customers, each through the next of the three instances, one after
    // another (a burst is concurrency.rs's subject): every instance's
    // recovery sweeper looks at every saga meanwhile, so a saga finished
    // twice, or taken over while its owner runs it, would show below.
    let instances: Vec<_> = std::iter::once(&shop.orders).chain(&shop.other_orders).collect();
    let body = serde_json::json!({"items": [{"product_id": mug, "quantity": 1}], "payment_method": "tok_visa"});
    let mut placed = Vec::new();
    for i in 0..9 {
        let response = instances[i % instances.len()].post_as(&customer(), "/api/v1/orders", &body).await;
        assert!(response.status().is_success(), "checkout through instance {}: {}", i % 3, response.status());
        placed.push(response.json::<serde_json::Value>().await.unwrap());
    }

    let mut outcomes = Vec::new();
    for order in &placed {
        let settled = shop.settled(&order["id"]).await;
        outcomes.push((settled["status"].as_str().unwrap().to_owned(), settled["cancel_reason"].clone()));
        let charges = shop.payments_of(&order["id"]).await;
        let expected_charges = usize::from(settled["status"] == "CONFIRMED");
        assert_eq!(charges.len(), expected_charges, "one charge per confirmed order, none otherwise: {settled}");
    }
    let confirmed = outcomes.iter().filter(|(status, _)| status == "CONFIRMED").count();
    assert_eq!(confirmed as i64, units, "as many confirmed as there were units: {outcomes:?}");
    assert!(
        outcomes.iter().all(|(status, reason)| status == "CONFIRMED" || reason == "out_of_stock"),
        "the others sold out: {outcomes:?}"
    );
    assert_stock(&shop.stock(mug).await, 0, 0, units);

    // Each saga ended once: one outcome event per order, one message each.
    let database =
        PgPoolOptions::new().max_connections(1).connect(shop.orders_database.url.expose_secret()).await.unwrap();
    let outcome_events: Vec<i64> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM order_events WHERE event_type IN ('order_confirmed', 'order_cancelled') GROUP BY order_id",
    )
    .fetch_all(&database)
    .await
    .unwrap();
    assert_eq!(outcome_events, vec![1; placed.len()], "one outcome event per order");
    let messages: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE event_type IN ('order.confirmed', 'order.cancelled')")
            .fetch_one(&database)
            .await
            .unwrap();
    assert_eq!(messages, placed.len() as i64, "one outcome message per order");
}
