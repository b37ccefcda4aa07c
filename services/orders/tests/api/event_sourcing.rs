use serde_json::Value;

use crate::helpers::spawn_shop;

#[tokio::test]
async fn the_event_stream_tells_the_orders_story() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 3).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    let events: Vec<Value> = shop
        .get_json(&format!("/internal/v1/orders/{}/events", order["id"].as_str().unwrap()))
        .await
        .as_array()
        .unwrap()
        .clone();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["order_placed", "stock_reserved", "payment_captured", "order_confirmed"]);
}

#[tokio::test]
async fn rebuilding_the_read_model_from_the_events_gives_the_same_views() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let mut ids = Vec::new();
    for method in ["tok_visa", "tok_decline", "tok_visa", "tok_visa"] {
        ids.push(shop.checkout(&[(mug, 1)], method).await["id"].clone());
    }
    let mut before = Vec::new();
    for id in &ids {
        before.push(shop.order(id).await);
    }
    let rebuilt: Value =
        shop.http.post(shop.url("/internal/v1/read-model/rebuild")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rebuilt["orders"], 4);
    for (id, view) in ids.iter().zip(before) {
        assert_eq!(shop.order(id).await, view, "view of {id} after replay");
    }
}

#[tokio::test]
async fn concurrent_writers_cannot_both_append_to_one_version() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    shop.settled(&order["id"]).await;
    // Two cancellations race on the same confirmed order: one wins, the
    // other is refused, and the stream holds a single cancellation.
    let path = format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());
    let (a, b) = tokio::join!(
        shop.post_as(&shop.customer, &path, &Value::Null),
        shop.post_as(&shop.customer, &path, &Value::Null)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let events: Value = shop.get_json(&format!("/internal/v1/orders/{}/events", order["id"].as_str().unwrap())).await;
    let cancellations = events.as_array().unwrap().iter().filter(|e| e["type"] == "order_cancelled").count();
    assert_eq!(cancellations, 1);
}

#[tokio::test]
async fn a_runner_deciding_on_a_stale_saga_step_cannot_record() {
    use orders::domain::OrderEvent;
    use orders::event_store::{self, AppendError};
    use orders::recorder::{SagaMove, record};
    use orders::saga::Step;
    use secrecy::ExposeSecret;

    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    shop.settled(&order["id"]).await;
    let pool = sqlx::PgPool::connect(shop.orders_database.url.expose_secret()).await.unwrap();
    let id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    let current = event_store::load(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();

    // The saga is done; a runner that still believes it is at `charge` (its
    // lease ran out while it waited on payments) must not append anything,
    // even though it read the order's latest version.
    let stale = SagaMove { from: Some(Step::Charge), step: Step::Commit, charge_uncertain: false };
    let result = record(&pool, &current, &[OrderEvent::OrderConfirmed], Some(stale)).await;
    assert!(matches!(result, Err(AppendError::Conflict(_))), "{result:?}");
    let events = event_store::load_events(&mut pool.acquire().await.unwrap(), id).await.unwrap();
    assert_eq!(events.iter().filter(|(e, _)| matches!(e, OrderEvent::OrderConfirmed)).count(), 1);
}
