use platform::test_util::error_of;
use serde_json::json;

use crate::helpers::spawn_shop;

#[tokio::test]
async fn bad_orders_get_clear_client_errors() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 700, 4).await;
    let shop = &shop;
    let post =
        |body: serde_json::Value| async move { shop.orders.post_as(&shop.customer, "/api/v1/orders", &body).await };
    assert_eq!(error_of(post(json!({"items": []})).await).await, (422, "invalid_order".into()), "empty");
    assert_eq!(error_of(post(json!({"items": [{"product_id": mug, "quantity": 0}]})).await).await.0, 422, "zero");
    assert_eq!(error_of(post(json!({"items": [{"product_id": mug, "quantity": -1}]})).await).await.0, 422, "negative");
    assert_eq!(
        error_of(post(json!({"items": [{"product_id": 987654, "quantity": 1}]})).await).await,
        (422, "unknown_product".into())
    );
    assert_eq!(error_of(post(json!({"items": "lots"})).await).await, (422, "invalid_body".into()));
    assert_eq!(
        error_of(post(json!({"items": [{"product_id": mug, "quantity": 1}], "payment_method": "4242 4242"})).await)
            .await
            .0,
        422
    );
    let anonymous =
        shop.orders.http.post(shop.orders.url("/api/v1/orders")).json(&json!({"items": []})).send().await.unwrap();
    assert_eq!(error_of(anonymous).await.0, 401);
    assert_eq!(error_of(shop.orders.get_as(&shop.customer, "/api/v1/orders/not-a-uuid").await).await.0, 400);
    assert_eq!(
        error_of(shop.orders.get_as(&shop.customer, &format!("/api/v1/orders/{}", uuid::Uuid::new_v4())).await).await.0,
        404
    );
}

/// Found by fuzzing: a total beyond `i64` minor units panicked in debug
/// builds and would have wrapped into a wrong charge in release builds.
#[tokio::test]
async fn a_total_beyond_what_can_be_charged_is_refused_before_anything_is_recorded() {
    let shop = spawn_shop().await;
    let gold = shop.product("GOLD-1", i64::MAX / 2, 10).await;
    let response = shop.place(&shop.customer, &[(gold, 3)], "tok_visa").await;
    assert_eq!(error_of(response).await, (422, "total_too_large".into()));
    let mine = shop.orders.get_as(&shop.customer, "/api/v1/orders").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(mine["total"], 0);
}
