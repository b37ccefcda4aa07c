use platform::test_util::{customer, error_of};
use serde_json::Value;

use crate::helpers::{assert_stock, spawn_shop};

#[tokio::test]
async fn a_confirmed_order_cancelled_by_its_customer_is_refunded_and_restocked() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 700, 4).await;
    let order = shop.checkout(&[(mug, 2)], "tok_visa").await;
    shop.settled(&order["id"]).await;
    let path = format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());
    let cancelled: Value = shop.orders.post_as(&shop.customer, &path, &Value::Null).await.json().await.unwrap();
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["cancel_reason"].as_str()),
        (Some("CANCELLED"), Some("customer_request"))
    );
    shop.settled(&order["id"]).await;
    assert_stock(&shop.stock(mug).await, 4, 0, 0);
    platform::test_util::eventually("the refund", std::time::Duration::from_secs(10), || async {
        shop.payments_of(&order["id"]).await[0]["status"] == "refunded"
    })
    .await;
}

#[tokio::test]
async fn shipped_and_cancelled_orders_cannot_be_cancelled() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 700, 4).await;
    let shipped = shop.checkout(&[(mug, 1)], "tok_visa").await;
    let id = shipped["id"].as_str().unwrap();
    let as_customer = shop.orders.post_as(&shop.customer, &format!("/api/v1/orders/{id}/ship"), &Value::Null).await;
    assert_eq!(error_of(as_customer).await.0, 403, "only admins ship");
    assert_eq!(
        shop.orders.post_as(&shop.admin, &format!("/api/v1/orders/{id}/ship"), &Value::Null).await.status(),
        200
    );
    let refused = shop.orders.post_as(&shop.customer, &format!("/api/v1/orders/{id}/cancel"), &Value::Null).await;
    assert_eq!(error_of(refused).await, (409, "order_shipped".into()));

    let declined = shop.checkout(&[(mug, 1)], "tok_decline").await;
    let again = shop
        .orders
        .post_as(&shop.customer, &format!("/api/v1/orders/{}/cancel", declined["id"].as_str().unwrap()), &Value::Null)
        .await;
    assert_eq!(error_of(again).await, (409, "order_cancelled".into()));
}

#[tokio::test]
async fn someone_elses_order_is_not_found() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 700, 4).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    let id = order["id"].as_str().unwrap();
    let eve = customer();
    assert_eq!(
        error_of(shop.orders.get_as(&eve, &format!("/api/v1/orders/{id}")).await).await,
        (404, "not_found".into())
    );
    let cancel = shop.orders.post_as(&eve, &format!("/api/v1/orders/{id}/cancel"), &Value::Null).await;
    assert_eq!(error_of(cancel).await.0, 404);
    assert_eq!(
        shop.orders.get_as(&shop.admin, &format!("/api/v1/orders/{id}")).await.status(),
        200,
        "admins see every order"
    );
}
