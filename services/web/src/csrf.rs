//! Cross-site request forgery: every form carries the HMAC of this
//! browser's nonce (a cookie another site can neither read nor set), and a
//! POST whose token does not match is refused with 403 before anything
//! else is done. The signature means a nonce planted by a sibling domain
//! is still useless without the storefront's secret.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::visitor::{self, CSRF};

/// This request's nonce, when it was made for it (no cookie yet).
#[derive(Clone)]
pub struct Nonce(pub String);

/// The CSRF nonce cookie lives a day; a form older than that is refused.
const NONCE_MAX_AGE_SECS: u64 = 24 * 60 * 60;

#[derive(Clone)]
pub struct Csrf {
    secret: SecretString,
}

impl Csrf {
    pub fn new(secret: SecretString) -> Self {
        Self { secret }
    }

    fn mac(&self, nonce: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes()).expect("HMAC takes any key length");
        mac.update(nonce.as_bytes());
        mac
    }

    /// The token a form of this browser carries.
    pub fn token(&self, nonce: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(nonce).finalize().into_bytes())
    }

    /// Whether `token` is this browser's (compared in constant time).
    pub fn verify(&self, nonce: &str, token: &str) -> bool {
        let Ok(token) = URL_SAFE_NO_PAD.decode(token) else { return false };
        !nonce.is_empty() && self.mac(nonce).verify_slice(&token).is_ok()
    }
}

/// Gives a browser without a nonce one (a cookie on the response), and
/// hands it to this request's pages through the request's extensions.
pub async fn ensure_nonce(mut request: Request, next: Next) -> Response {
    if visitor::cookie(request.headers(), CSRF).is_some_and(|n| !n.is_empty()) {
        return next.run(request).await;
    }
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    request.extensions_mut().insert(Nonce(nonce.clone()));
    let mut response = next.run(request).await;
    let cookie = visitor::set_cookie(CSRF, &nonce, NONCE_MAX_AGE_SECS, "Strict");
    response.headers_mut().append(SET_COOKIE, HeaderValue::from_str(&cookie).expect("a nonce is a valid header"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_own_nonce_only() {
        let csrf = Csrf::new("test-only-secret".into());
        let token = csrf.token("nonce-a");
        assert!(csrf.verify("nonce-a", &token));
        assert!(!csrf.verify("nonce-b", &token));
        assert!(!csrf.verify("", &csrf.token("")), "no nonce, no valid token");
        assert!(!csrf.verify("nonce-a", "not base64 !"));
        assert!(!Csrf::new("another-secret".into()).verify("nonce-a", &token));
    }
}
