//! In-memory idempotency: the first answer to a key is stored and replayed
//! for every repeat with the same body; a different body under the same key
//! is refused (422), as real providers do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use platform::{ApiError, IdempotencyKey};
use serde_json::Value;

/// What was asked under a key, and what was answered.
struct Stored {
    request: Value,
    status: StatusCode,
    body: Value,
}

#[derive(Clone, Default)]
pub struct IdempotencyStore(Arc<Mutex<HashMap<String, Stored>>>);

/// The key of a request (the platform's one parser); 400 without one.
pub fn key_of(headers: &HeaderMap) -> Result<String, ApiError> {
    Ok(IdempotencyKey::required(headers)?.as_str().to_owned())
}

impl IdempotencyStore {
    /// The stored answer for `key`, if the request is a repeat.
    pub fn replay(&self, key: &str, request: &Value) -> Result<Option<(StatusCode, Value)>, ApiError> {
        match self.0.lock().expect("poisoned").get(key) {
            None => Ok(None),
            Some(stored) if &stored.request == request => Ok(Some((stored.status, stored.body.clone()))),
            Some(_) => Err(ApiError::unprocessable(
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            )),
        }
    }

    pub fn remember(&self, key: String, request: Value, status: StatusCode, body: Value) {
        self.0.lock().expect("poisoned").insert(key, Stored { request, status, body });
    }
}
