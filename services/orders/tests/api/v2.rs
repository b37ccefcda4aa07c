//! API v2 of orders: the same checkout and saga, money as decimal strings
//! with their currency, and the caller's orders in cursor pages.

use platform::test_util::error_of;
use serde_json::{Value, json};

use crate::helpers::spawn_shop;

#[tokio::test]
async fn a_v2_checkout_answers_with_decimal_money_for_the_total_and_every_line() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 1250, 10).await;
    let kettle = shop.product("KETTLE-1", 4005, 2).await;
    let body = json!({"items": [{"product_id": mug, "quantity": 2}, {"product_id": kettle, "quantity": 1}]});
    let response = shop.orders.post_as(&shop.customer, "/api/v2/orders", &body).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();

    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["total"], json!({"amount": "65.05", "currency": "EUR"}));
    assert_eq!(order["lines"][0]["unit_price"], json!({"amount": "12.50", "currency": "EUR"}));
    assert_eq!(order["lines"][1]["unit_price"]["amount"], "40.05");
    assert!(order.get("total_minor").is_none() && order.get("currency").is_none(), "{order}");

    // The same order in v1, read back: the same amount in minor units.
    let v1 = shop.order(&order["id"]).await;
    assert_eq!(v1["total_minor"], 6505);
    let v2: Value = shop
        .orders
        .get_as(&shop.customer, &format!("/api/v2/orders/{}", order["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v2["total"]["amount"], "65.05");
}

#[tokio::test]
async fn the_callers_orders_come_in_cursor_pages_newest_first() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 100, 10).await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(shop.checkout(&[(mug, 1)], "tok_visa").await["id"].as_str().unwrap().to_owned());
    }
    placed.reverse();

    let mut seen = Vec::new();
    let mut path = "/api/v2/orders?limit=2".to_owned();
    loop {
        let page: Value = shop.orders.get_as(&shop.customer, &path).await.json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v2/orders?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, placed);

    // Another customer's list is their own: empty.
    let other: Value =
        shop.orders.get_as(&platform::test_util::customer(), "/api/v2/orders").await.json().await.unwrap();
    assert_eq!(other["items"], json!([]));
    assert!(other["next_cursor"].is_null());

    let bad = shop.orders.get_as(&shop.customer, "/api/v2/orders?cursor=e30").await;
    assert_eq!(error_of(bad).await, (400, "invalid_cursor".into()));
}
