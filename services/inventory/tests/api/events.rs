//! Order events commit or return stock even when the saga's call never came.

use std::sync::Arc;
use std::time::Duration;

use platform::messaging::broker::Broker;
use platform::messaging::envelope::Envelope;
use platform::messaging::outbox::publish;
use platform::test_util::eventually;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{assert_stock, spawn_app};

#[tokio::test]
async fn order_events_commit_and_return_reserved_units() {
    let app = spawn_app().await;
    app.restock(1, 10).await;
    let (confirmed, cancelled) = (Uuid::new_v4(), Uuid::new_v4());
    app.reserve(confirmed, &[(1, 2)]).await;
    app.reserve(cancelled, &[(1, 3)]).await;

    let broker = Arc::new(Broker::new(app.broker.clone()));
    let channel = broker.channel().await.unwrap();
    let confirmation = Envelope::new("order.confirmed", confirmed, json!({}));
    publish(&channel, &confirmation, "orders").await.unwrap();
    publish(&channel, &confirmation, "orders").await.unwrap(); // a duplicate delivery
    publish(&channel, &Envelope::new("order.cancelled", cancelled, json!({"reason": "payment_declined"})), "orders")
        .await
        .unwrap();

    eventually("both events applied", Duration::from_secs(20), || async {
        app.status(confirmed).await == "committed" && app.status(cancelled).await == "released"
    })
    .await;
    assert_stock(&app.stock(1).await, 8, 0, 2);
}
