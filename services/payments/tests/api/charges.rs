use std::time::{Duration, Instant};

use platform::test_util::{answer_first_posts, answer_posts, error_of, json_answer};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{accepting_provider, calls_to, charge_body, spawn_app};

#[tokio::test]
async fn a_charge_is_captured_and_passes_an_idempotency_key_on() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/charges"))
        .and(header_exists("idempotency-key"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "ch_1", "status": "succeeded"})))
        .expect(1)
        .mount(&provider)
        .await;
    let app = spawn_app(&provider.uri()).await;
    let order = Uuid::new_v4();
    let response = app.charge("order-1-charge", &charge_body(order, 2599)).await;
    assert_eq!(response.status(), 201);
    let payment: Value = response.json().await.unwrap();
    assert_eq!((payment["status"].as_str(), payment["amount_minor"].as_i64()), (Some("captured"), Some(2599)));
    assert_eq!(payment["order_id"], order.to_string());
}

#[tokio::test]
async fn the_same_key_replays_the_answer_and_never_charges_twice() {
    let provider = accepting_provider().await;
    let app = spawn_app(&provider.uri()).await;
    let body = charge_body(Uuid::new_v4(), 1000);
    let first: Value = app.charge("k1", &body).await.json().await.unwrap();
    let second = app.charge("k1", &body).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    assert_eq!(calls_to(&provider, "/v1/charges").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let provider = accepting_provider().await;
    let app = spawn_app(&provider.uri()).await;
    let order = Uuid::new_v4();
    app.charge("k1", &charge_body(order, 1000)).await;
    let other = app.charge("k1", &charge_body(order, 9999)).await;
    assert_eq!(error_of(other).await, (422, "idempotency_key_reused".into()));
    assert_eq!(calls_to(&provider, "/v1/charges").await, 1);
}

#[tokio::test]
async fn concurrent_repeats_charge_once() {
    let provider = MockServer::start().await;
    answer_posts(
        &provider,
        "/v1/charges",
        json_answer(201, json!({"id": "ch_1", "status": "succeeded"})).set_delay(Duration::from_millis(300)),
    )
    .await;
    let app = spawn_app(&provider.uri()).await;
    let body = charge_body(Uuid::new_v4(), 1000);
    let (a, b) = tokio::join!(app.charge("same", &body), app.charge("same", &body));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one charges, the other is told it is in progress");
    assert_eq!(calls_to(&provider, "/v1/charges").await, 1);
}

#[tokio::test]
async fn a_declined_card_is_recorded_as_declined() {
    let provider = MockServer::start().await;
    answer_posts(
        &provider,
        "/v1/charges",
        json_answer(402, json!({"id": "ch_2", "status": "declined", "decline_code": "card_declined"})),
    )
    .await;
    let app = spawn_app(&provider.uri()).await;
    let payment: Value = app.charge("k", &charge_body(Uuid::new_v4(), 1000)).await.json().await.unwrap();
    assert_eq!(
        (payment["status"].as_str(), payment["decline_code"].as_str()),
        (Some("declined"), Some("card_declined"))
    );
}

#[tokio::test]
async fn when_the_provider_fails_nothing_is_recorded_and_a_retry_may_succeed() {
    let provider = MockServer::start().await;
    answer_first_posts(&provider, "/v1/charges", ResponseTemplate::new(503), 3).await;
    answer_posts(&provider, "/v1/charges", json_answer(201, json!({"id": "ch_3", "status": "succeeded"}))).await;
    let app = spawn_app(&provider.uri()).await;
    let body = charge_body(Uuid::new_v4(), 1000);
    // The client retries the provider (the call carries a key): three 503s
    // exhaust its two retries.
    assert_eq!(error_of(app.charge("k", &body).await).await, (503, "dependency_unavailable".into()));
    assert_eq!(calls_to(&provider, "/v1/charges").await, 3);
    let retry = app.charge("k", &body).await;
    assert_eq!(retry.status(), 201, "the key was freed by the failure");
    let payments: Value =
        app.client.get_json(&format!("/api/v1/payments?order_id={}", body["order_id"].as_str().unwrap())).await;
    assert_eq!(payments.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_provider_slower_than_the_timeout_is_a_504_within_the_timeout() {
    let provider = MockServer::start().await;
    answer_posts(
        &provider,
        "/v1/charges",
        json_answer(201, json!({"id": "ch", "status": "succeeded"})).set_delay(Duration::from_secs(5)),
    )
    .await;
    let app = spawn_app(&provider.uri()).await;
    let body = charge_body(Uuid::new_v4(), 1000);
    let started = Instant::now();
    let response = app.charge("k", &body).await;
    assert_eq!(error_of(response).await, (504, "timeout".into()));
    assert!(started.elapsed() < Duration::from_secs(4), "gave up at the 1 s timeout, not the provider's 5 s");
    // The provider may have charged: the key stays held, so an immediate
    // retry cannot charge a second time (after the lease it asks again).
    assert_eq!(error_of(app.charge("k", &body).await).await, (409, "request_in_progress".into()));
    assert_eq!(calls_to(&provider, "/v1/charges").await, 1);
}

#[tokio::test]
async fn bad_charge_requests_are_client_errors() {
    let provider = accepting_provider().await;
    let app = spawn_app(&provider.uri()).await;
    let order = Uuid::new_v4();
    let no_key =
        app.client.http.post(app.client.url("/api/v1/payments")).json(&charge_body(order, 1000)).send().await.unwrap();
    assert_eq!(error_of(no_key).await, (400, "idempotency_key_required".into()));
    for (amount, currency) in [(0, "EUR"), (-5, "EUR"), (100, "euro")] {
        let body =
            json!({"order_id": order, "amount_minor": amount, "currency": currency, "payment_method": "tok_visa"});
        assert_eq!(
            error_of(app.charge(&format!("k{amount}{currency}"), &body).await).await.0,
            422,
            "{amount} {currency}"
        );
    }
    let missing = app.charge("k-missing", &json!({"order_id": order})).await;
    assert_eq!(error_of(missing).await.0, 422);
    assert_eq!(calls_to(&provider, "/v1/charges").await, 0);
}
