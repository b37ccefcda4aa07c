//! The `Idempotency-Key` header: one name and one parser for every service
//! that accepts it (orders' checkout, payments, the simulators) and every
//! client that sends it (orders → payments, payments → provider,
//! notifications → e-mail API). The client stack reads the same name to know
//! that a POST may be repeated.
//!
//! A key is 1 to 200 visible ASCII characters after trimming surrounding
//! blanks; anything else is refused with a 400 in the shop's error shape, so
//! two spellings of one key (with and without a trailing space) can never
//! name two requests.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::ApiError;

/// The header's name, lower case as HTTP/2 writes it.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// The longest key accepted.
pub const MAX_LEN: usize = 200;

/// A key that parsed: trimmed, non-empty, at most [`MAX_LEN`] visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a key (also one a client makes up, e.g. `order-<id>`).
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key is empty"));
        }
        if key.len() > MAX_LEN {
            return Err(ApiError::bad_request(
                "invalid_idempotency_key",
                format!("Idempotency-Key has at most {MAX_LEN} characters"),
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key is visible ASCII characters only",
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// The request's key, `None` when it sent none.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, ApiError> {
        match headers.get(HEADER) {
            None => Ok(None),
            Some(value) => {
                let text = value.to_str().map_err(|_| {
                    ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key is visible ASCII characters only")
                })?;
                Self::parse(text).map(Some)
            }
        }
    }

    /// The request's key; 400 `idempotency_key_required` when it sent none.
    pub fn required(headers: &HeaderMap) -> Result<Self, ApiError> {
        Self::from_headers(headers)?
            .ok_or_else(|| ApiError::bad_request("idempotency_key_required", "send an Idempotency-Key header"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Headers carrying this key, for an outbound call.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_str(&self.0).expect("a parsed key is visible ASCII"));
        headers
    }
}

impl std::fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_bytes(value).unwrap());
        headers
    }

    #[test]
    fn a_key_is_trimmed_so_one_key_has_one_spelling() {
        let key = IdempotencyKey::required(&headers(b"  order-1 ")).unwrap();
        assert_eq!(key.as_str(), "order-1");
        assert_eq!(key, IdempotencyKey::parse("order-1").unwrap());
    }

    #[test]
    fn absent_is_none_and_required_says_so() {
        assert_eq!(IdempotencyKey::from_headers(&HeaderMap::new()).unwrap(), None);
        let error = IdempotencyKey::required(&HeaderMap::new()).unwrap_err();
        assert_eq!((error.status().as_u16(), error.code()), (400, "idempotency_key_required"));
    }

    #[test]
    fn blank_long_or_non_ascii_keys_are_a_400() {
        for bad in [&b"   "[..], &[b'k'; MAX_LEN + 1][..], "clé".as_bytes(), b"two words"] {
            let error = IdempotencyKey::from_headers(&headers(bad)).unwrap_err();
            assert_eq!((error.status().as_u16(), error.code()), (400, "invalid_idempotency_key"), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"k".repeat(MAX_LEN)).is_ok(), "the limit itself is allowed");
    }

    #[test]
    fn a_key_goes_out_under_the_one_header_name() {
        let key = IdempotencyKey::parse("pay_1:refund").unwrap();
        assert_eq!(key.headers()["idempotency-key"], "pay_1:refund");
    }
}
