use platform::test_util::error_of;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{accepting_provider, calls_to, charge_body, spawn_app};

#[tokio::test]
async fn a_captured_payment_is_refunded_once() {
    let provider = accepting_provider().await;
    let app = spawn_app(&provider.uri()).await;
    let payment: Value = app.charge("c", &charge_body(Uuid::new_v4(), 1000)).await.json().await.unwrap();
    let refunded: Value = app.refund("r", &payment["id"]).await.json().await.unwrap();
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(app.refund("r", &payment["id"]).await.json::<Value>().await.unwrap(), refunded, "replayed");
    assert_eq!(app.refund("another-key", &payment["id"]).await.status(), 200, "already refunded");
    assert_eq!(calls_to(&provider, "/v1/refunds").await, 1);
}

#[tokio::test]
async fn refunding_an_order_refunds_what_was_captured_and_is_safe_to_repeat() {
    let provider = accepting_provider().await;
    let app = spawn_app(&provider.uri()).await;
    let order = Uuid::new_v4();
    app.charge("c", &charge_body(order, 1000)).await;
    let path = format!("/internal/v1/orders/{order}/refund");
    for _ in 0..2 {
        let payments: Value = app.client.http.post(app.client.url(&path)).send().await.unwrap().json().await.unwrap();
        assert_eq!(payments[0]["status"], "refunded");
    }
    assert_eq!(calls_to(&provider, "/v1/refunds").await, 1);
    let nothing: Value = app
        .client
        .http
        .post(app.client.url(&format!("/internal/v1/orders/{}/refund", Uuid::new_v4())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nothing, Value::Array(vec![]), "an order without payments has nothing to refund");
}

#[tokio::test]
async fn unknown_payments_cannot_be_refunded() {
    let provider = accepting_provider().await;
    let app = spawn_app(&provider.uri()).await;
    assert_eq!(error_of(app.refund("r", &Value::String(Uuid::new_v4().to_string())).await).await.0, 404);
}
