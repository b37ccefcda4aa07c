//! What the API reads and writes, with Toxiproxy's field names and defaults.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A proxy as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProxyView {
    pub name: String,
    pub listen: String,
    pub upstream: String,
    pub enabled: bool,
    pub toxics: Vec<Toxic>,
}

/// Body of `POST /proxies` and of each `POST /populate` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct NewProxy {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub listen: String,
    #[serde(default)]
    pub upstream: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// Body of `POST /proxies/{name}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProxyChange {
    pub listen: Option<String>,
    pub upstream: Option<String>,
    pub enabled: Option<bool>,
}

/// Which way data flows: `upstream` is client → server, `downstream` server → client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Upstream,
    #[default]
    Downstream,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Upstream => "upstream",
            Stream::Downstream => "downstream",
        }
    }
}

/// A toxic as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Toxic {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub stream: Stream,
    pub toxicity: f64,
    pub attributes: Map<String, Value>,
}

/// Body of `POST /proxies/{name}/toxics`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewToxic {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub stream: Option<Stream>,
    pub toxicity: Option<f64>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// Body of `POST /proxies/{name}/toxics/{toxic}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToxicChange {
    pub toxicity: Option<f64>,
    pub attributes: Option<Map<String, Value>>,
}

/// The toxic kinds: Toxiproxy's, and the HTTP-aware ones this proxy adds.
pub const TCP_KINDS: [&str; 7] =
    ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data"];
pub const HTTP_KINDS: [&str; 3] = ["http_status", "http_latency", "http_abort"];

/// The attributes each kind takes, with defaults (Toxiproxy's where it has them).
pub fn default_attributes(kind: &str) -> Option<Map<String, Value>> {
    let pairs: &[(&str, Value)] = match kind {
        "latency" => &[("latency", Value::from(0)), ("jitter", Value::from(0))],
        "bandwidth" => &[("rate", Value::from(0))],
        "slow_close" => &[("delay", Value::from(0))],
        "timeout" => &[("timeout", Value::from(0))],
        "reset_peer" => &[("timeout", Value::from(0))],
        "slicer" => &[("average_size", Value::from(0)), ("size_variation", Value::from(0)), ("delay", Value::from(0))],
        "limit_data" => &[("bytes", Value::from(0))],
        // HTTP faults: their own attributes, then what a request must be
        // to be faulted (`request_match.rs`).
        "http_status" => &[
            ("status", Value::from(503)),
            ("body", Value::from("{\"error\":{\"code\":\"injected\",\"message\":\"fault injected by chaos-proxy\"}}")),
        ],
        "http_latency" => &[("latency", Value::from(0)), ("jitter", Value::from(0))],
        "http_abort" => &[("after_bytes", Value::from(0))],
        _ => return None,
    };
    let mut attributes: Map<String, Value> = pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    if HTTP_KINDS.contains(&kind) {
        // `method` empty: any; `path` empty: any; `headers`: name → pattern.
        attributes.insert("method".into(), Value::from(""));
        attributes.insert("path_prefix".into(), Value::from("/"));
        attributes.insert("path".into(), Value::from(""));
        attributes.insert("headers".into(), Value::Object(Map::new()));
    }
    Some(attributes)
}

impl Toxic {
    /// An attribute as a non-negative number (0 when absent or malformed).
    pub fn number(&self, key: &str) -> u64 {
        self.attributes.get(key).and_then(Value::as_f64).map_or(0, |v| v.max(0.0) as u64)
    }

    pub fn text(&self, key: &str) -> &str {
        self.attributes.get(key).and_then(Value::as_str).unwrap_or_default()
    }
}
