use platform::test_util::error_of;
use serde_json::Value;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, spawn_app};

#[tokio::test]
async fn login_returns_a_verifiable_access_token_and_a_refresh_token() {
    let app = spawn_app().await;
    let session = app.registered_session("ada@example.org").await;
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    let verified: Value = app.verify(&session["access_token"]).await.json().await.unwrap();
    assert_eq!(verified["active"], true);
    assert_eq!(verified["role"], "customer");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_addresses_get_the_same_401() {
    let app = spawn_app().await;
    app.registered_session("ada@example.org").await;
    let wrong = error_of(app.login("ada@example.org", "not the password").await).await;
    let unknown = error_of(app.login("nobody@example.org", PASSWORD).await).await;
    assert_eq!(wrong, (401, "unauthorized".into()));
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn the_bootstrap_admin_logs_in_with_the_admin_role() {
    let app = spawn_app().await;
    let response = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    let verified: Value = app.verify(&session["access_token"]).await.json().await.unwrap();
    assert_eq!(verified["role"], "admin");
}

#[tokio::test]
async fn the_jwks_publishes_the_key_that_signs_access_tokens() {
    let app = spawn_app().await;
    let session = app.registered_session("ada@example.org").await;
    let jwks = app.client.get_json("/.well-known/jwks.json").await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    assert!(key.get("d").is_none(), "no private part is published");
    let header = jsonwebtoken::decode_header(session["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    assert_eq!(app.client.get_json("/api/v1/auth/jwks").await, jwks);
}
