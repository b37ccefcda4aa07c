//! The one outbound HTTP client: every call from one service to another, or
//! to a third party, goes through this stack, configured per dependency.
//!
//! ```text
//! span + metrics          telemetry.rs: client span, traceparent injected, http_client_request_duration_seconds
//!  └ overall timeout      deadline.rs: <DEP>_TIMEOUT_MS, the call ends by then, retries included
//!     └ circuit breaker   breaker.rs: opens on failure or slow-call rate in a time window, fails fast while open
//!        └ bulkhead       tower-resilience: at most <DEP>_BULKHEAD calls at once, the rest refused at once
//!           └ retry       retry.rs (tower::retry): safe requests only, full-jitter backoff, retry budget
//!              └ attempt  attempt.rs: one instance (round robin, ejection), <DEP>_ATTEMPT_TIMEOUT_MS
//! ```
//!
//! Each concern is a tower `Layer`, and [`build_stack`] stacks them with one
//! `ServiceBuilder` in this order, outer to inner. Order matters: the
//! breaker sees a call and its retries as one call (so retries cannot trip
//! it faster), and one bulkhead permit covers them too.

mod attempt;
pub mod breaker;
mod deadline;
pub mod resilience;
mod retry;
mod telemetry;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use tower::ServiceExt;

use self::attempt::Attempt;
use self::breaker::BreakerLayer;
use self::deadline::DeadlineLayer;
use self::resilience::{ResilienceMetrics, ResilienceSettings};
use self::retry::RetryPolicy;
use self::telemetry::TelemetryLayer;
use crate::config::Env;
use crate::error::ApiError;
use crate::health::ReadinessCheck;
use crate::metrics::HttpClientMetrics;
use crate::upstream::{Discovery, UpstreamPool};

/// Per-dependency client settings, read as `<DEP>_URL`, `<DEP>_TIMEOUT_MS`,
/// `<DEP>_EJECT_MS`, `<DEP>_DNS_REFRESH_MS` (e.g. `USERS_URL`), and the
/// resilience settings (`resilience::ResilienceSettings`).
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub name: &'static str,
    pub discovery: Discovery,
    /// The whole call, retries included.
    pub timeout: Duration,
    pub eject_for: Duration,
    pub dns_refresh: Duration,
    pub resilience: ResilienceSettings,
}

impl ClientSettings {
    pub fn from_env(env: &mut Env, name: &'static str, prefix: &str, default_url: &str) -> Self {
        Self::from_env_with_timeout(env, name, prefix, default_url, Duration::from_secs(3))
    }

    /// `from_env`, for a dependency whose calls take longer by nature (a
    /// checkout waits for its saga): `<DEP>_TIMEOUT_MS` defaults to `timeout`.
    pub fn from_env_with_timeout(
        env: &mut Env,
        name: &'static str,
        prefix: &str,
        default_url: &str,
        timeout: Duration,
    ) -> Self {
        let key = format!("{prefix}_URL");
        let spec = env.string(&key, default_url);
        let discovery = Discovery::parse(&spec).unwrap_or_else(|error| {
            env.problem(format!("{key}: {error}"));
            Discovery::Static(vec![default_url.to_owned()])
        });
        let timeout = env.millis(&format!("{prefix}_TIMEOUT_MS"), timeout.as_millis() as u64);
        Self {
            name,
            discovery,
            timeout,
            eject_for: env.millis(&format!("{prefix}_EJECT_MS"), 10_000),
            dns_refresh: env.millis(&format!("{prefix}_DNS_REFRESH_MS"), 5_000),
            resilience: ResilienceSettings::from_env(env, prefix, timeout),
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
            resilience: ResilienceSettings::for_timeout(Duration::from_secs(3)),
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
    /// The breaker is open: the call was not made.
    #[error("{dependency}: circuit open, call not made")]
    CircuitOpen { dependency: &'static str },
    /// Too many calls to this dependency are in flight: the call was not made.
    #[error("{dependency}: bulkhead full, call not made")]
    BulkheadFull { dependency: &'static str },
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
            CallError::Interrupted { dependency, .. }
            | CallError::CircuitOpen { dependency }
            | CallError::BulkheadFull { dependency } => ApiError::unavailable(dependency),
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

type Stack = tower::util::BoxCloneSyncService<Call, reqwest::Response, CallError>;

/// A client for one dependency.
#[derive(Clone)]
pub struct ServiceClient {
    name: &'static str,
    pool: Arc<UpstreamPool>,
    stack: Stack,
}

impl ServiceClient {
    /// A client whose metrics are not exported (tools, tests). Services get
    /// theirs from `server::Service::client`, wired to their `/metrics`.
    pub async fn new(settings: ClientSettings) -> Self {
        Self::with_metrics(settings, HttpClientMetrics::detached(), ResilienceMetrics::default()).await
    }

    pub async fn with_metrics(
        settings: ClientSettings,
        metrics: HttpClientMetrics,
        resilience: ResilienceMetrics,
    ) -> Self {
        let name = settings.name;
        let pool = UpstreamPool::new(name, settings.discovery.clone(), settings.eject_for, settings.dns_refresh).await;
        let http = attempt::http_client(settings.resilience.attempt_timeout.min(Duration::from_secs(2)));
        let attempt = Attempt { name, pool: pool.clone(), http, timeout: settings.resilience.attempt_timeout };
        let stack = build_stack(&settings, attempt, metrics, resilience);
        Self { name, pool, stack }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn pool(&self) -> &Arc<UpstreamPool> {
        &self.pool
    }

    /// Sends `call` through the stack (see the module documentation). Any
    /// answer is returned, 5xx included; `Err` means there was none.
    pub async fn send(&self, call: Call) -> Result<reqwest::Response, CallError> {
        self.stack.clone().oneshot(call).await
    }

    /// A readiness check: some instance of the dependency answers `/health`
    /// (through the whole stack: an open breaker shows as not ready).
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

/// The stack of the module's diagram, outer to inner, over `attempt`.
fn build_stack(
    settings: &ClientSettings,
    attempt: Attempt,
    metrics: HttpClientMetrics,
    resilience: ResilienceMetrics,
) -> Stack {
    use tower_resilience::bulkhead::{BulkheadLayer, BulkheadServiceError};

    let name = settings.name;
    let bulkhead = BulkheadLayer::builder()
        .name(name)
        .max_concurrent_calls(settings.resilience.bulkhead)
        .reject_when_full()
        .build()
        .expect("a valid bulkhead");
    let stack = tower::ServiceBuilder::new()
        .layer(TelemetryLayer::new(name, metrics, resilience.clone()))
        .layer(DeadlineLayer::new(name, settings.timeout))
        .layer(BreakerLayer::new(name, settings.resilience.breaker(), resilience.on_breaker_transition(name)))
        .map_err(move |error: BulkheadServiceError<CallError>| match error {
            BulkheadServiceError::Bulkhead(_) => CallError::BulkheadFull { dependency: name },
            BulkheadServiceError::Inner(error) => error,
        })
        .layer(bulkhead)
        .layer(tower::retry::RetryLayer::new(RetryPolicy::new(name, Arc::new(settings.resilience.clone()), resilience)))
        .service(attempt);
    tower::util::BoxCloneSyncService::new(stack)
}
