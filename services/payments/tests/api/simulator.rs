//! Against the provider simulator that compose runs.

use platform::test_util::serve;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::spawn_app;

async fn simulator() -> String {
    serve(simulators::payments::build(simulators::payments::Settings::for_tests()).await).url()
}

#[tokio::test]
async fn the_simulator_captures_and_declines_by_test_token() {
    let app = spawn_app(&simulator().await).await;
    let ok: Value = app
        .charge(
            "a",
            &json!({"order_id": Uuid::new_v4(), "amount_minor": 500, "currency": "EUR", "payment_method": "tok_visa"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["status"], "captured");
    let declined: Value = app
        .charge("b", &json!({"order_id": Uuid::new_v4(), "amount_minor": 500, "currency": "EUR", "payment_method": "tok_decline"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(declined["status"], "declined");
    let refunded: Value = app.refund("c", &ok["id"]).await.json().await.unwrap();
    assert_eq!(refunded["status"], "refunded");
}
