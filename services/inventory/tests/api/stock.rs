use platform::test_util::{customer, error_of};
use serde_json::json;

use crate::helpers::{assert_stock, spawn_app};

#[tokio::test]
async fn admins_restock_and_everyone_sees_availability() {
    let app = spawn_app().await;
    assert_eq!(app.restock(7, 5).await.status(), 200);
    assert_eq!(app.restock(7, 3).await.status(), 200);
    assert_stock(&app.stock(7).await, 8, 0, 0);
    let public = app.client.get_json("/api/v1/inventory/7").await;
    assert_eq!(public, json!({"product_id": 7, "available": 8}));
    assert_eq!(app.client.get_json("/api/v1/inventory/999").await["available"], 0, "unknown products have none");
}

#[tokio::test]
async fn only_admins_restock_and_quantities_must_be_positive() {
    let app = spawn_app().await;
    let as_customer = app.client.post_as(&customer(), "/api/v1/inventory/7/restock", &json!({"quantity": 5})).await;
    assert_eq!(error_of(as_customer).await.0, 403);
    for bad in [0, -5] {
        assert_eq!(error_of(app.restock(7, bad).await).await.0, 422, "quantity {bad}");
    }
}
