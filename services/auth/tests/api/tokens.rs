use platform::test_util::error_of;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_refresh_token_is_exchanged_for_a_new_pair_once() {
    let app = spawn_app().await;
    let session = app.registered_session("ada@example.org").await;
    let response = app.refresh(&session["refresh_token"]).await;
    assert_eq!(response.status(), 200);
    let next: Value = response.json().await.unwrap();
    assert_ne!(next["refresh_token"], session["refresh_token"]);
    assert_eq!(app.verify(&next["access_token"]).await.status(), 200);
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_its_whole_family() {
    let app = spawn_app().await;
    let session = app.registered_session("ada@example.org").await;
    let next: Value = app.refresh(&session["refresh_token"]).await.json().await.unwrap();
    // The first token again: a replay. Refused, and the legitimate successor dies too.
    assert_eq!(error_of(app.refresh(&session["refresh_token"]).await).await.0, 401);
    assert_eq!(error_of(app.refresh(&next["refresh_token"]).await).await.0, 401);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let session = app.registered_session("ada@example.org").await;
    let out = app.client.post("/api/v1/auth/logout", &json!({"refresh_token": session["refresh_token"]})).await;
    assert_eq!(out.status(), 204);
    assert_eq!(error_of(app.refresh(&session["refresh_token"]).await).await.0, 401);
    let again = app.client.post("/api/v1/auth/logout", &json!({"refresh_token": session["refresh_token"]})).await;
    assert_eq!(again.status(), 204, "logging out twice is harmless");
}

#[tokio::test]
async fn garbage_tokens_do_not_verify_or_refresh() {
    let app = spawn_app().await;
    assert_eq!(error_of(app.verify(&json!("not.a.token")).await).await, (401, "unauthorized".into()));
    assert_eq!(error_of(app.refresh(&json!("nope")).await).await.0, 401);
    let missing = app.client.post("/api/v1/auth/refresh", &json!({})).await;
    assert_eq!(error_of(missing).await.0, 422);
}
