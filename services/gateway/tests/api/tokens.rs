//! Every way an access token can be wrong gets a 401 at the gateway.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::Role;
use platform::test_util::error_of;
use platform::token::{AUDIENCE, AccessClaims, ISSUER};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Shop, spawn_shop};

const PROTECTED: &str = "/api/v1/users/me";

async fn assert_refused(shop: &Shop, token: &str, why: &str) {
    let response = shop.get_with(token, PROTECTED).await;
    assert_eq!(error_of(response).await, (401, "unauthorized".into()), "{why}");
}

async fn key_id(shop: &Shop) -> String {
    let jwks = shop.gateway.get_json("/.well-known/jwks.json").await;
    jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
}

fn claims(expires_in_secs: i64) -> AccessClaims {
    let now = chrono::Utc::now().timestamp();
    AccessClaims {
        sub: Uuid::new_v4(),
        role: Role::Admin,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        iat: now,
        exp: now + expires_in_secs,
        jti: Uuid::new_v4(),
    }
}

fn sign(pem: &SecretString, kid: &str, claims: &AccessClaims) -> String {
    let key = EncodingKey::from_ed_pem(pem.expose_secret().as_bytes()).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

#[tokio::test]
async fn a_missing_token_on_a_protected_route_is_401() {
    let shop = spawn_shop().await;
    assert_eq!(error_of(shop.gateway.get(PROTECTED).await).await, (401, "unauthorized".into()));
    let basic = shop.gateway.http.get(shop.gateway.url(PROTECTED)).basic_auth("ada", Some("pw")).send().await.unwrap();
    assert_eq!(error_of(basic).await.0, 401);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let shop = spawn_shop().await;
    let kid = key_id(&shop).await;
    assert_refused(&shop, &sign(&shop.signing_key_pem, &kid, &claims(-3600)), "expired").await;
    assert!(shop.metric(r#"gateway_rejected_tokens_total{reason="expired"}"#).await >= 1.0);
}

#[tokio::test]
async fn a_token_signed_with_the_real_key_is_accepted() {
    // The control case for the forgeries below: same claims shape, right key.
    let shop = spawn_shop().await;
    let kid = key_id(&shop).await;
    let token = sign(&shop.signing_key_pem, &kid, &claims(600));
    let response = shop.get_with(&token, "/api/v1/users").await;
    assert_eq!(response.status(), 200, "an admin token lists users");
}

#[tokio::test]
async fn tampered_tokens_are_refused() {
    let shop = spawn_shop().await;
    let token = shop.customer_token("ada@example.org").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["role"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    assert_refused(&shop, &parts.join("."), "payload changed to admin").await;
    assert_refused(&shop, &format!("{token}x"), "signature changed").await;
}

#[tokio::test]
async fn tokens_signed_with_another_key_are_refused() {
    let shop = spawn_shop().await;
    let kid = key_id(&shop).await;
    let other_key = auth::keys::generate_ed25519_pem();
    assert_refused(&shop, &sign(&other_key, &kid, &claims(600)), "right kid, wrong key").await;
    assert_refused(&shop, &sign(&other_key, "made-up-kid", &claims(600)), "unknown kid").await;
    assert!(shop.metric(r#"gateway_rejected_tokens_total{reason="unknown_key"}"#).await >= 1.0);
}

#[tokio::test]
async fn alg_none_and_symmetric_algorithms_are_refused() {
    let shop = spawn_shop().await;
    let kid = key_id(&shop).await;
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(600)).unwrap());

    let none_header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    assert_refused(&shop, &format!("{none_header}.{payload}."), "alg none").await;

    // HS256 keyed with the public key: the classic algorithm-confusion attack.
    let jwks = shop.gateway.get_json("/.well-known/jwks.json").await;
    let public = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid);
    let forged = jsonwebtoken::encode(&header, &claims(600), &EncodingKey::from_secret(&public)).unwrap();
    assert_refused(&shop, &forged, "HS256 with the public key").await;
}

#[tokio::test]
async fn garbage_tokens_are_refused() {
    let shop = spawn_shop().await;
    for garbage in ["x", "a.b.c", "Bearer", "eyJhbGciOiJFZERTQSJ9.e30."] {
        assert_refused(&shop, garbage, garbage).await;
    }
}

#[tokio::test]
async fn a_token_accepted_once_is_still_refused_once_it_expires() {
    let shop = spawn_shop().await;
    let kid = key_id(&shop).await;
    // Expired 3 s ago: still inside the 5 s leeway, so accepted (and remembered as verified).
    let token = sign(&shop.signing_key_pem, &kid, &claims(-3));
    assert_eq!(shop.get_with(&token, "/api/v1/users").await.status(), 200);
    // The passing of time is what is tested: past exp + leeway (whole
    // seconds, the boundary itself still valid), the remembered token is refused.
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    assert_refused(&shop, &token, "expired since it was verified").await;
}
