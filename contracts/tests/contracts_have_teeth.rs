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
