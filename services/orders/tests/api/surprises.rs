//! Payments answers something orders does not understand: the money is
//! never kept. A stand-in for payments (wiremock) shapes the surprise; the
//! rest of the shop is real.

use platform::test_util::answer_posts;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Shop, assert_stock, spawn_shop_with_payments_at};

/// A payments stand-in that answers a charge with `charge_answer` and a
/// refund by order with the order's payment, refunded.
async fn payments_answering(charge_answer: ResponseTemplate) -> MockServer {
    let payments = MockServer::start().await;
    answer_posts(&payments, "/api/v1/payments", charge_answer).await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/internal/v1/orders/[0-9a-f-]{36}/refund$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": "0190c0de-0000-7000-8000-0000000000aa", "status": "refunded"
        }])))
        .mount(&payments)
        .await;
    payments
}

/// The types of the order's events, oldest first.
async fn events(shop: &Shop, id: &str) -> Vec<String> {
    let history: Value = shop.orders.get_json(&format!("/internal/v1/orders/{id}/events")).await;
    history.as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

async fn refunds_asked_for(payments: &MockServer) -> Vec<String> {
    let requests = payments.received_requests().await.unwrap();
    requests.iter().filter(|r| r.url.path().ends_with("/refund")).map(|r| r.url.path().to_owned()).collect()
}

#[tokio::test]
async fn a_charge_answer_with_an_unknown_status_is_refunded_by_order_not_taken_as_a_decline() {
    let answer = ResponseTemplate::new(201)
        .set_body_json(json!({"id": "0190c0de-0000-7000-8000-0000000000aa", "status": "pending_review"}));
    let payments = payments_answering(answer).await;
    let shop = spawn_shop_with_payments_at(payments.uri()).await;
    let mug = shop.product("MUG-1", 1250, 3).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    let id = order["id"].as_str().unwrap();

    assert_eq!(
        (order["status"].as_str(), order["cancel_reason"].as_str()),
        (Some("CANCELLED"), Some("payment_unrecognised"))
    );
    shop.settled(&order["id"]).await;
    assert_stock(&shop.stock(mug).await, 3, 0, 0);
    platform::test_util::eventually("the refund recorded", std::time::Duration::from_secs(10), || async {
        events(&shop, id).await.iter().any(|t| t == "payment_refunded")
    })
    .await;
    assert!(!events(&shop, id).await.iter().any(|t| t == "payment_captured"), "nothing recorded as captured");
    // Refunds by order are idempotent: a compensation may ask more than once.
    let refunds = refunds_asked_for(&payments).await;
    assert!(refunds.iter().all(|path| *path == format!("/internal/v1/orders/{id}/refund")), "{refunds:?}");
}

#[tokio::test]
async fn a_charge_answer_orders_cannot_read_is_refunded_by_order() {
    let payments = payments_answering(ResponseTemplate::new(200).set_body_string("<html>OK</html>")).await;
    let shop = spawn_shop_with_payments_at(payments.uri()).await;
    let mug = shop.product("MUG-1", 1250, 3).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;

    assert_eq!(order["cancel_reason"], "payment_unrecognised");
    shop.settled(&order["id"]).await;
    platform::test_util::eventually("the refund asked for", std::time::Duration::from_secs(10), || async {
        !refunds_asked_for(&payments).await.is_empty()
    })
    .await;
}
