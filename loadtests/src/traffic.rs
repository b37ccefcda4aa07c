//! Making load traffic recognisable: a user agent and an `x-load-test`
//! header the gateway counts separately (`gateway_requests_total{origin}`),
//! and a fresh W3C `traceparent` on every request, so that each transaction
//! is the root of its own trace and a slow one can be found in Jaeger.
//! [`call`] sends every request of the scenarios and the session that way.

use std::sync::OnceLock;

use goose::goose::GooseResponse;
use goose::prelude::*;
use rand::RngCore;
use serde_json::Value;

pub const LOAD_TEST_HEADER: &str = "x-load-test";

/// The profile every request is labelled with (`x-load-test`).
static PROFILE: OnceLock<String> = OnceLock::new();

/// Labels this process's traffic with `profile`, once, before the load.
pub fn label_as(profile: &str) {
    let _ = PROFILE.set(profile.to_owned());
}

pub fn user_agent(profile: &str) -> String {
    format!("testbed-load/{} (profile={profile})", env!("CARGO_PKG_VERSION"))
}

/// A sampled `traceparent` with random ids.
pub fn traceparent() -> String {
    let mut rng = rand::thread_rng();
    let mut trace = [0u8; 16];
    let mut span = [0u8; 8];
    rng.fill_bytes(&mut trace);
    rng.fill_bytes(&mut span);
    fn hex(value: &mut String, bytes: &[u8]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for byte in bytes {
            value.push(char::from(DIGITS[usize::from(byte >> 4)]));
            value.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
    }
    let mut value = String::with_capacity(55);
    value.push_str("00-");
    hex(&mut value, &trace);
    value.push('-');
    hex(&mut value, &span);
    value.push_str("-01");
    value
}

/// Sends one named request with the load-test headers, a fresh trace, and
/// the caller's token when given.
pub async fn call(
    user: &mut GooseUser,
    method: GooseMethod,
    path: &str,
    name: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Result<GooseResponse, Box<TransactionError>> {
    let mut builder = user
        .get_request_builder(&method, path)?
        .header(LOAD_TEST_HEADER, PROFILE.get().expect("traffic labelled before the load").as_str())
        .header("traceparent", traceparent());
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    if let Some(body) = body {
        builder = builder.json(body);
    }
    let request = GooseRequest::builder().method(method).path(path).name(name).set_request_builder(builder).build();
    let answer = user.request(request).await;
    match &answer {
        Ok(response) => crate::live::record(&response.request),
        Err(error) => {
            if let TransactionError::RequestFailed { raw_request } = error.as_ref() {
                crate::live::record(raw_request);
            }
        }
    }
    answer
}

/// The JSON answer of a `call` (`Null` when there is none).
pub async fn json_of(response: GooseResponse) -> Value {
    match response.response {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn traceparents_follow_the_w3c_format() {
        let value = super::traceparent();
        let parts: Vec<&str> = value.split('-').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!((parts[0], parts[1].len(), parts[2].len(), parts[3]), ("00", 32, 16, "01"));
        assert_ne!(super::traceparent(), value);
    }
}
