//! A contract that cannot fail proves nothing: a provider that renames a
//! field the consumer reads, or changes its type, fails verification.

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use common::*;
use serde_json::{Value, json};

/// An e-mail API that answers `body` to every message.
async fn email_api_answering(body: Value) -> String {
    let app =
        Router::new().route("/v1/messages", post(move || async move { (StatusCode::ACCEPTED, axum::Json(body)) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_renamed_field_fails_verification() {
    let url = email_api_answering(json!({ "message_id": "msg_1", "status": "queued" })).await;
    let outcome = verify("email-api", &url).await;
    assert!(!outcome.result, "a provider without `id` passed");
    let report = outcome.output.join("\n");
    assert!(report.contains("missing the following keys: id"), "the mismatch names the field:\n{report}");
}

#[tokio::test]
async fn a_changed_type_fails_verification() {
    let url = email_api_answering(json!({ "id": 42, "status": "queued" })).await;
    let outcome = verify("email-api", &url).await;
    assert!(!outcome.result, "a provider with a numeric `id` passed");
    let report = outcome.output.join("\n");
    assert!(report.contains("$.id"), "the mismatch names the field:\n{report}");
}

#[tokio::test]
async fn the_honest_shape_passes() {
    let url = email_api_answering(json!({ "id": "msg_1", "status": "queued" })).await;
    assert!(verify("email-api", &url).await.result, "the control case must pass, or the two above prove nothing");
}

/// A message provider that publishes `event` for every description.
async fn orders_publishing(event: Value) -> String {
    let app = Router::new().fallback(post(move || async move { axum::Json(event) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `order.confirmed` as orders writes it, with `customer_id` under another name.
#[tokio::test]
async fn a_renamed_field_in_an_event_fails_verification() {
    let event = |customer_key: &str| {
        let mut event = json!({
            "message_id": "0190c0de-0000-7000-8000-00000000f001",
            "event_type": "order.confirmed",
            "schema_version": 1,
            "occurred_at": "2026-11-25T10:00:00.123456Z",
            "aggregate_id": "0190c0de-0000-7000-8000-00000000c001",
            "data": {
                "order_id": "0190c0de-0000-7000-8000-00000000c001",
                "total_minor": 2500,
                "currency": "EUR",
                "payment_id": "0190c0de-0000-7000-8000-00000000e001",
            },
        });
        event["data"][customer_key] = json!("0190c0de-0000-7000-8000-00000000b002");
        event
    };
    let only_the_cancelled_one_failed = |outcome: &pact_verifier::verification_result::VerificationExecutionResult| {
        outcome.errors.iter().all(|(description, _)| description.contains("cancelled"))
    };
    let verify_notifications_pact = |url: String| async move {
        let pact = pact_files(|name| name == "notifications-orders.json");
        verify_sources("orders", &url, Some(&url), pact, None, std::sync::Arc::new(NoStates)).await
    };

    let renamed = verify_notifications_pact(orders_publishing(event("customer")).await).await;
    let report = renamed.output.join("\n");
    assert!(!only_the_cancelled_one_failed(&renamed), "an event without `customer_id` passed:\n{report}");
    assert!(report.contains("customer_id"), "the mismatch names the field:\n{report}");

    // Control: the same event with the field under its name fails only
    // the cancelled message (which this provider never publishes).
    let honest = verify_notifications_pact(orders_publishing(event("customer_id")).await).await;
    assert!(only_the_cancelled_one_failed(&honest), "the honest event failed:\n{}", honest.output.join("\n"));
    assert_eq!(honest.errors.len(), 1, "the cancelled message cannot match a confirmed event");
}
