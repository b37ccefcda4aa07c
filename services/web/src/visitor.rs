//! Who is asking: the cookies a browser sends back, read once per request.
//!
//! - `session`: the access token the gateway issued at log-in (httpOnly,
//!   SameSite=Lax: scripts cannot read it, other sites cannot send it);
//! - `csrf`: a random nonce whose HMAC every form carries (see `csrf.rs`);
//! - `cart`: the cart's lines, `id-quantity` joined by `_`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::cart::Cart;

pub const SESSION: &str = "session";
pub const CSRF: &str = "csrf";
pub const CART: &str = "cart";

/// The request's cookies, as the pages need them.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The bearer token of a logged-in visitor.
    pub token: Option<String>,
    /// This browser's CSRF nonce (set by `csrf::ensure_nonce` when missing).
    pub nonce: String,
    pub cart: Cart,
}

impl Visitor {
    pub fn signed_in(&self) -> bool {
        self.token.is_some()
    }
}

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for the pages' cookies: httpOnly, whole site.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, same_site: &str) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}")
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let token = cookie(headers, SESSION).filter(|t| !t.is_empty()).map(str::to_owned);
        let nonce = parts
            .extensions
            .get::<crate::csrf::Nonce>()
            .map(|n| n.0.clone())
            .or_else(|| cookie(headers, CSRF).map(str::to_owned))
            .unwrap_or_default();
        // A cart cookie that does not parse is an empty cart, not an error
        // page on every visit: it is the shop's own cookie, rewritten on the
        // next change.
        let cart = cookie(headers, CART).and_then(|c| Cart::parse(c).ok()).unwrap_or_default();
        Ok(Self { token, nonce, cart })
    }
}
