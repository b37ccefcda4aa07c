use serde_json::Value;

use crate::helpers::{assert_stock, spawn_shop, spawn_shop_without_payments};

#[tokio::test]
async fn a_paid_order_is_confirmed_with_its_stock_sold() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 1250, 10).await;
    let kettle = shop.product("KETTLE-1", 4000, 2).await;
    let order = shop.checkout(&[(mug, 2), (kettle, 1)], "tok_visa").await;

    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["total_minor"], 2 * 1250 + 4000);
    assert_eq!(order["lines"][0]["name"], "Product MUG-1", "names are kept with the order");
    let order = shop.settled(&order["id"]).await;
    assert_stock(&shop.stock(mug).await, 8, 0, 2);
    assert_stock(&shop.stock(kettle).await, 1, 0, 1);
    let payments = shop.payments_of(&order["id"]).await;
    assert_eq!(payments.len(), 1);
    assert_eq!((payments[0]["status"].as_str(), payments[0]["amount_minor"].as_i64()), (Some("captured"), Some(6500)));
    assert_eq!(order["payment_id"], payments[0]["id"]);
}

#[tokio::test]
async fn a_declined_payment_cancels_the_order_and_releases_the_stock() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 1250, 5).await;
    let order = shop.checkout(&[(mug, 3)], "tok_decline").await;
    assert_eq!(
        (order["status"].as_str(), order["cancel_reason"].as_str()),
        (Some("CANCELLED"), Some("payment_declined"))
    );
    shop.settled(&order["id"]).await;
    assert_stock(&shop.stock(mug).await, 5, 0, 0);
    let payments = shop.payments_of(&order["id"]).await;
    assert!(payments.iter().all(|p| p["status"] != "captured"), "no charge: {payments:?}");
}

#[tokio::test]
async fn an_order_beyond_the_stock_is_cancelled_without_a_charge() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 1250, 1).await;
    let order = shop.checkout(&[(mug, 2)], "tok_visa").await;
    assert_eq!((order["status"].as_str(), order["cancel_reason"].as_str()), (Some("CANCELLED"), Some("out_of_stock")));
    assert!(shop.payments_of(&order["id"]).await.is_empty());
    assert_stock(&shop.stock(mug).await, 1, 0, 0);
}

#[tokio::test]
async fn customers_list_their_own_orders_from_the_read_model() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 100, 10).await;
    shop.checkout(&[(mug, 1)], "tok_visa").await;
    shop.checkout(&[(mug, 2)], "tok_decline").await;
    let page: Value = shop.orders.get_as(&shop.customer, "/api/v1/orders?per_page=10").await.json().await.unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["item_count"], 2, "newest first");
    let other: Value =
        shop.orders.get_as(&platform::test_util::customer(), "/api/v1/orders").await.json().await.unwrap();
    assert_eq!(other["total"], 0);
}

#[tokio::test]
async fn repeating_a_checkout_with_its_idempotency_key_returns_the_same_order() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 100, 10).await;
    let body = serde_json::json!({"items": [{"product_id": mug, "quantity": 1}]});
    let send = || {
        shop.orders
            .request(reqwest::Method::POST, "/api/v1/orders", Some(&shop.customer))
            .header("idempotency-key", "checkout-1")
            .json(&body)
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_stock(&shop.stock(mug).await, 9, 0, 1);
}

#[tokio::test]
async fn with_payments_unavailable_the_order_is_cancelled_with_a_clear_reason() {
    let shop = spawn_shop_without_payments().await;
    let mug = shop.product("MUG-1", 1250, 3).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    assert_eq!(
        (order["status"].as_str(), order["cancel_reason"].as_str()),
        (Some("CANCELLED"), Some("payment_unavailable"))
    );
    shop.settled(&order["id"]).await;
    assert_stock(&shop.stock(mug).await, 3, 0, 0);
    let metrics = shop.orders.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("resilience_calls_total") && l.contains(r#"peer_service="payments""#)),
        "{metrics}"
    );
}
