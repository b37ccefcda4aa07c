//! Which requests an HTTP fault applies to: by method, by path (a prefix,
//! and a pattern with `*`), and by header values (patterns too). So one
//! tenant's requests, or only those of sampled traces, can be broken while
//! everyone else's go through.
//!
//! ```json
//! { "type": "http_status", "attributes": { "status": 503, "path": "/api/v1/orders/*",
//!   "headers": { "x-tenant": "blue", "traceparent": "*-01" } } }
//! ```

use serde_json::Value;

use super::http;
use super::model::Toxic;

/// What a fault is matched against: a request's line and its head.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The request line and headers, as read.
    pub head: &'a [u8],
}

/// Whether `toxic` applies to `request`: every condition it sets holds
/// (an empty method or path, and no headers, set none).
pub fn matches(toxic: &Toxic, request: &Request) -> bool {
    let method = toxic.text("method");
    if !method.is_empty() && !method.eq_ignore_ascii_case(request.method) {
        return false;
    }
    if !request.path.starts_with(toxic.text("path_prefix")) {
        return false;
    }
    let path = toxic.text("path");
    if !path.is_empty() && !glob(path, request.path) {
        return false;
    }
    let Some(Value::Object(headers)) = toxic.attributes.get("headers") else {
        return true;
    };
    // A header the request does not carry matches no pattern.
    headers.iter().all(|(name, pattern)| {
        http::header(request.head, name).is_some_and(|value| glob(pattern.as_str().unwrap_or_default(), value))
    })
}

/// `*` stands for any run of characters, none included; every other
/// character for itself (case matters).
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        // No `*`: the whole text must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::proxy::model::{Stream, default_attributes};

    #[test]
    fn a_star_stands_for_any_run_of_characters() {
        assert!(glob("/api/*/items", "/api/v1/items"));
        assert!(glob("/api/*/items", "/api//items"));
        assert!(!glob("/api/*/items", "/api/v1/items/3"));
        assert!(glob("*-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        assert!(!glob("*-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
        assert!(glob("blue", "blue") && !glob("blue", "blue2") && !glob("blue", "Blue"));
        assert!(glob("*", "") && glob("a*b*c", "aXbYc") && !glob("a*b*c", "aXcYb"));
        assert!(!glob("ab*ba", "aba"), "the prefix and the suffix may not overlap");
    }

    fn fault(attributes: serde_json::Value) -> Toxic {
        let mut all = default_attributes("http_status").unwrap();
        all.extend(attributes.as_object().unwrap().clone());
        Toxic {
            name: "f".into(),
            kind: "http_status".into(),
            stream: Stream::Downstream,
            toxicity: 1.0,
            attributes: all,
        }
    }

    fn request<'a>(method: &'a str, path: &'a str, head: &'a str) -> Request<'a> {
        Request { method, path, head: head.as_bytes() }
    }

    #[test]
    fn every_condition_set_must_hold() {
        let head = "GET /api/v1/orders/7 HTTP/1.1\r\nX-Tenant: blue\r\ntraceparent: 00-ab-cd-01\r\n\r\n";
        let get = request("GET", "/api/v1/orders/7", head);
        assert!(matches(&fault(json!({})), &get), "no condition: every request");
        assert!(matches(&fault(json!({ "path": "/api/*/orders/*", "method": "get" })), &get));
        assert!(!matches(&fault(json!({ "path": "/api/*/users/*" })), &get));
        assert!(matches(&fault(json!({ "headers": { "x-tenant": "blue", "traceparent": "*-01" } })), &get));
        assert!(!matches(&fault(json!({ "headers": { "x-tenant": "green" } })), &get));
        assert!(!matches(&fault(json!({ "headers": { "x-absent": "*" } })), &get), "a missing header matches nothing");
        assert!(!matches(&fault(json!({ "method": "POST", "headers": { "x-tenant": "blue" } })), &get));
    }
}
