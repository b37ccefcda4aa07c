//! Consumer: inventory ← orders' events, the backstop for the saga's HTTP
//! calls. The real handler (`inventory::consumer::OrderEvents`) reads each
//! pact message the way the broker consumer does (`envelope::decode`), on a
//! real inventory database holding the orders' reservations.

mod common;

use std::time::Duration;

use common::*;
use inventory::configuration::Settings;
use inventory::consumer::OrderEvents;
use inventory::startup;
use pact_consumer::prelude::*;
use platform::messaging::consumer::MessageHandler;
use platform::messaging::envelope;
use platform::test_util::{admin, fresh_broker, fresh_database, serve};
use serde_json::{Value, json};

const CONFIRMED_ORDER: &str = "0190c0de-0000-7000-8000-00000000c101";
const CANCELLED_ORDER: &str = "0190c0de-0000-7000-8000-00000000c102";
const PRODUCT: i64 = 301;

/// Inventory reads only the envelope: which event, about which order.
fn orders_messages() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("inventory", "orders");
    pact.with_output_dir(pacts_dir())
        .message_interaction("an order was confirmed", |mut i| {
            i.json_body(order_event("order.confirmed", CONFIRMED_ORDER, json_pattern!(like!(json!({})))));
            i
        })
        .message_interaction("an order was cancelled", |mut i| {
            i.json_body(order_event("order.cancelled", CANCELLED_ORDER, json_pattern!(like!(json!({})))));
            i
        });
    pact
}

#[tokio::test]
async fn inventory_sells_confirmed_orders_and_returns_cancelled_ones() {
    install_crypto_provider();
    let database = fresh_database("inventory").await;
    let settings = Settings {
        expiry_sweep: Duration::from_secs(60),
        ..Settings::for_tests(database.clone(), fresh_broker().await)
    };
    let inventory = serve(startup::build(settings).await).client();
    let restock = format!("/api/v1/inventory/{PRODUCT}/restock");
    assert!(inventory.post_as(&admin(), &restock, &json!({ "quantity": 5 })).await.status().is_success());
    for order in [CONFIRMED_ORDER, CANCELLED_ORDER] {
        let lines = json!({ "lines": [{ "product_id": PRODUCT, "quantity": 2 }] });
        let reserved = inventory.put_as(None, &format!("/internal/v1/reservations/{order}"), &lines).await;
        assert!(reserved.status().is_success());
    }

    let pool = sqlx::PgPool::connect(secrecy::ExposeSecret::expose_secret(&database.url)).await.unwrap();
    let pact = orders_messages();
    for message in pact.messages() {
        let body = message.contents.contents.value().expect("a body");
        let envelope = envelope::decode(&body).expect("the consumer reads the message");
        let mut conn = pool.acquire().await.unwrap();
        OrderEvents.handle(&mut conn, &envelope).await.expect("handled");
    }
    let stock: Value = inventory.get_json(&format!("/internal/v1/stock/{PRODUCT}")).await;
    assert_eq!((&stock["available"], &stock["reserved"], &stock["sold"]), (&json!(3), &json!(0), &json!(2)), "{stock}");
}
