//! W3C trace context (`traceparent`, `tracestate`) in and out of HTTP
//! headers and AMQP message headers, through the global propagator.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(key), HeaderValue::try_from(value)) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// The remote parent carried by incoming HTTP headers (empty if none).
pub fn extract_http(headers: &HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
}

/// Writes `context` into outgoing HTTP headers.
pub fn inject_http(context: &Context, headers: &mut HeaderMap) {
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(context, &mut HeaderInjector(headers)));
}

/// The `traceparent` of `context`, for storing it (e.g. in an outbox row).
pub fn to_traceparent(context: &Context) -> Option<String> {
    let mut headers = HeaderMap::new();
    inject_http(context, &mut headers);
    headers.get("traceparent").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// A context from a stored `traceparent`.
pub fn from_traceparent(traceparent: &str) -> Context {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(traceparent) {
        headers.insert("traceparent", value);
    }
    extract_http(&headers)
}

struct AmqpInjector<'a>(&'a mut FieldTable);

impl Injector for AmqpInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(ShortString::from(key), AMQPValue::LongString(value.into()));
    }
}

struct AmqpExtractor(Vec<(String, String)>);

impl Extractor for AmqpExtractor {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Writes `context` into AMQP message headers.
pub fn inject_amqp(context: &Context, headers: &mut FieldTable) {
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(context, &mut AmqpInjector(headers)));
}

/// The producer's context carried by AMQP message headers.
pub fn extract_amqp(headers: Option<&FieldTable>) -> Context {
    let pairs = headers
        .map(|table| {
            table
                .inner()
                .iter()
                .filter_map(|(k, v)| match v {
                    AMQPValue::LongString(s) => {
                        Some((k.to_string(), String::from_utf8_lossy(s.as_bytes()).into_owned()))
                    }
                    AMQPValue::ShortString(s) => Some((k.to_string(), s.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let extractor = AmqpExtractor(pairs);
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&extractor))
}
