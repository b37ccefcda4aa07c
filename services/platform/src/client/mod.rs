//! The outbound HTTP client every service uses to call another one: picks an
//! instance from the dependency's `UpstreamPool`, bounds the call with the
//! dependency's timeout, ejects instances that fail, and turns failures into
//! errors that map onto clear answers (503/504), never a hang.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Env;
use crate::error::ApiError;
use crate::health::ReadinessCheck;
use crate::metrics::{HttpClientLabels, HttpClientMetrics, TraceExemplar};
use crate::upstream::{Discovery, UpstreamPool};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Per-dependency client settings, read as `<DEP>_URL`, `<DEP>_TIMEOUT_MS`,
/// `<DEP>_EJECT_MS`, `<DEP>_DNS_REFRESH_MS` (e.g. `USERS_URL`).
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub name: &'static str,
    pub discovery: Discovery,
    pub timeout: Duration,
    pub eject_for: Duration,
    pub dns_refresh: Duration,
}

impl ClientSettings {
    pub fn from_env(env: &mut Env, name: &'static str, prefix: &str, default_url: &str) -> Self {
        let key = format!("{prefix}_URL");
        let spec = env.string(&key, default_url);
        let discovery = Discovery::parse(&spec).unwrap_or_else(|error| {
            env.problem(format!("{key}: {error}"));
            Discovery::Static(vec![default_url.to_owned()])
        });
        Self {
            name,
            discovery,
            timeout: env.millis(&format!("{prefix}_TIMEOUT_MS"), 3_000),
            eject_for: env.millis(&format!("{prefix}_EJECT_MS"), 10_000),
            dns_refresh: env.millis(&format!("{prefix}_DNS_REFRESH_MS"), 5_000),
        }
    }

    /// One fixed instance; for tests and tools.
    pub fn fixed(name: &'static str, base_url: impl Into<String>) -> Self {
        Self {
            name,
            discovery: Discovery::Static(vec![base_url.into()]),
            timeout: Duration::from_secs(3),
            eject_for: Duration::from_secs(10),
            dns_refresh: Duration::from_secs(5),
        }
    }
}

/// Why a call to a dependency produced no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{dependency}: no instance reachable ({reason})")]
    Unavailable { dependency: &'static str, reason: String },
    #[error("{dependency}: no answer within {timeout:?}")]
    Timeout { dependency: &'static str, timeout: Duration },
    /// The connection broke after the request may have been sent: whether it
    /// took effect is unknown (only for non-idempotent requests; idempotent
    /// ones are simply repeated on another instance).
    #[error("{dependency}: interrupted ({reason})")]
    Interrupted { dependency: &'static str, reason: String },
    #[error("{dependency}: unexpected answer {status}")]
    UnexpectedStatus { dependency: &'static str, status: u16 },
    #[error("{dependency}: answer could not be read: {reason}")]
    BadAnswer { dependency: &'static str, reason: String },
}

impl From<CallError> for ApiError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Unavailable { dependency, .. } => ApiError::unavailable(dependency),
            CallError::Timeout { .. } => ApiError::Timeout,
            CallError::Interrupted { dependency, .. } => ApiError::unavailable(dependency),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Methods that mean the same when repeated (RFC 9110 §9.2.2).
pub fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE)
}

/// A request to a dependency: path relative to the instance's base URL.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

impl Call {
    pub fn new(method: Method, path_and_query: impl Into<String>) -> Self {
        Self { method, path_and_query: path_and_query.into(), headers: HeaderMap::new(), body: None }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn json(mut self, body: &impl Serialize) -> Self {
        self.body = Some(Bytes::from(serde_json::to_vec(body).expect("serialisable body")));
        self.headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
        self
    }

    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers.extend(headers);
        self
    }
}

/// A client for one dependency.
#[derive(Clone)]
pub struct ServiceClient {
    name: &'static str,
    pool: Arc<UpstreamPool>,
    http: reqwest::Client,
    timeout: Duration,
    metrics: HttpClientMetrics,
}

impl ServiceClient {
    /// A client whose metrics are not exported (tools, tests). Services get
    /// theirs from `server::Service::client`, wired to their `/metrics`.
    pub async fn new(settings: ClientSettings) -> Self {
        Self::with_metrics(settings, HttpClientMetrics::detached()).await
    }

    pub async fn with_metrics(settings: ClientSettings, metrics: HttpClientMetrics) -> Self {
        let pool = UpstreamPool::new(settings.name, settings.discovery, settings.eject_for, settings.dns_refresh).await;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(2)))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("a client without TLS builds");
        Self { name: settings.name, pool, http, timeout: settings.timeout, metrics }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn pool(&self) -> &Arc<UpstreamPool> {
        &self.pool
    }

    /// Sends `call` to one instance, moving on to the next instance when the
    /// connection fails (see below). A 502/503/504 answer or a timeout ejects
    /// the instance and is returned as is.
    pub async fn send(&self, call: Call) -> Result<reqwest::Response, CallError> {
        // One client span per call (over all attempts), after the
        // OpenTelemetry HTTP client conventions; its context travels in the
        // `traceparent` header, so the server's span becomes its child.
        let span = tracing::info_span!(
            "http.client",
            otel.name = %call.method,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %call.method,
            peer.service = self.name,
            url.path = %call.path_and_query.split('?').next().unwrap_or_default(),
            server.address = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let method = call.method.to_string();
        let result = self.send_attempts(call, &span).instrument(span.clone()).await;
        let status = result.as_ref().map_or(0, |r| r.status().as_u16());
        span.record("http.response.status_code", status);
        if status == 0 || status >= 500 {
            span.record("otel.status_code", "ERROR");
        }
        let exemplar = span.in_scope(TraceExemplar::current);
        self.metrics
            .request_duration
            .get_or_create(&HttpClientLabels {
                peer_service: self.name.to_owned(),
                http_request_method: method,
                http_response_status_code: status,
            })
            .observe(started.elapsed().as_secs_f64(), exemplar, None);
        result
    }

    async fn send_attempts(&self, mut call: Call, span: &tracing::Span) -> Result<reqwest::Response, CallError> {
        crate::telemetry::propagation::inject_http(&span.context(), &mut call.headers);
        let attempts = self.pool.instance_urls().len().max(1);
        let mut last_reason = "no instance known".to_owned();
        for _ in 0..attempts {
            let Some(instance) = self.pool.pick() else {
                break;
            };
            let url = format!("{}{}", instance.base_url, call.path_and_query);
            span.record("server.address", instance.base_url.as_str());
            let mut request =
                self.http.request(call.method.clone(), &url).headers(call.headers.clone()).timeout(self.timeout);
            if let Some(body) = &call.body {
                request = request.body(body.clone());
            }
            match request.send().await {
                Ok(response) => {
                    if matches!(response.status().as_u16(), 502..=504) {
                        self.pool.eject(&instance);
                    } else {
                        self.pool.restore(&instance);
                    }
                    return Ok(response);
                }
                Err(error) if error.is_timeout() => {
                    self.pool.eject(&instance);
                    return Err(CallError::Timeout { dependency: self.name, timeout: self.timeout });
                }
                // Refused: the request never arrived, any method may go elsewhere.
                // Broken mid-way (e.g. a pooled connection the instance closed
                // while stopping): only an idempotent request may be repeated.
                Err(error) if error.is_connect() || is_idempotent(&call.method) => {
                    self.pool.eject(&instance);
                    last_reason = error.to_string();
                }
                Err(error) => {
                    self.pool.eject(&instance);
                    return Err(CallError::Unavailable { dependency: self.name, reason: error.to_string() });
                }
            }
        }
        Err(CallError::Unavailable { dependency: self.name, reason: last_reason })
    }

    /// A readiness check: some instance of the dependency answers `/health`.
    pub fn readiness_check(&self) -> ReadinessCheck {
        let client = self.clone();
        ReadinessCheck::new(self.name, move || {
            let client = client.clone();
            async move {
                let response = client.send(Call::get("/health")).await.map_err(|e| e.to_string())?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("/health answered {}", response.status()))
                }
            }
        })
    }

    /// Sends `call` and decodes a 2xx JSON answer.
    pub async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, CallError> {
        let response = self.send(call).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(CallError::UnexpectedStatus { dependency: self.name, status: status.as_u16() });
        }
        response.json().await.map_err(|e| CallError::BadAnswer { dependency: self.name, reason: e.to_string() })
    }
}
