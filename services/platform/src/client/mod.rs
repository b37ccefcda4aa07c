//! The one outbound HTTP client: every call from one service to another, or
//! to a third party, goes through this stack, configured per dependency.
//!
//! ```text
//! span + metrics          client span, traceparent injected, http_client_request_duration_seconds
//!  └ overall timeout      <DEP>_TIMEOUT_MS: the call ends by then, retries included
//!     └ circuit breaker   breaker.rs: opens on failure or slow-call rate in a time window, fails fast while open
//!        └ bulkhead       tower-resilience: at most <DEP>_BULKHEAD calls at once, the rest refused at once
//!           └ retry       tower::retry: safe requests only, full-jitter backoff, retry budget
//!              └ attempt  one instance (round robin, ejection), <DEP>_ATTEMPT_TIMEOUT_MS
//! ```
//!
//! Order matters: the breaker sees a call and its retries as one call (so
//! retries cannot trip it faster), and one bulkhead permit covers them too.

mod attempt;
pub mod breaker;
pub mod resilience;
mod retry;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Env;
use crate::error::ApiError;
use crate::health::ReadinessCheck;
use tower::ServiceExt;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use self::attempt::Attempt;
use self::resilience::{DependencyLabels, ResilienceMetrics, ResilienceSettings, TransitionLabels};
use self::retry::RetryPolicy;
use crate::metrics::{HttpClientLabels, HttpClientMetrics, TraceExemplar};
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
    timeout: Duration,
    metrics: HttpClientMetrics,
    resilience: ResilienceMetrics,
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
        let pool = UpstreamPool::new(name, settings.discovery, settings.eject_for, settings.dns_refresh).await;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.resilience.attempt_timeout.min(Duration::from_secs(2)))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("a client without TLS builds");
        let attempt = Attempt { name, pool: pool.clone(), http, timeout: settings.resilience.attempt_timeout };
        let stack = build_stack(name, settings.resilience, attempt, resilience.clone());
        Self { name, pool, stack, timeout: settings.timeout, metrics, resilience }
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
        let stack = self.stack.clone();
        let outcome = match tokio::time::timeout(self.timeout, stack.oneshot(call)).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout { dependency: self.name, timeout: self.timeout }),
        };
        let label = match &outcome {
            Ok(response) if response.status().is_server_error() => "failure",
            Ok(_) => "success",
            Err(CallError::Timeout { .. }) => "timeout",
            Err(CallError::CircuitOpen { .. }) => "rejected_by_breaker",
            Err(CallError::BulkheadFull { .. }) => "rejected_by_bulkhead",
            Err(_) => "failure",
        };
        self.resilience.outcome(self.name, label);
        outcome
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

/// Breaker ⟶ bulkhead ⟶ retry ⟶ attempt, errors folded into `CallError`.
fn build_stack(
    name: &'static str,
    settings: ResilienceSettings,
    attempt: Attempt,
    metrics: ResilienceMetrics,
) -> Stack {
    use breaker::{Breaker, BreakerSettings, BreakerState};
    use tower_resilience::bulkhead::{BulkheadLayer, BulkheadServiceError};

    let settings = std::sync::Arc::new(settings);
    let retry = tower::retry::Retry::new(RetryPolicy::new(name, settings.clone(), metrics.clone()), attempt);

    let bulkhead = BulkheadLayer::builder()
        .name(name)
        .max_concurrent_calls(settings.bulkhead)
        .reject_when_full()
        .build()
        .expect("a valid bulkhead");
    let bulkheaded = tower::ServiceBuilder::new()
        .map_err(move |error: BulkheadServiceError<CallError>| match error {
            BulkheadServiceError::Bulkhead(_) => CallError::BulkheadFull { dependency: name },
            BulkheadServiceError::Inner(error) => error,
        })
        .layer(bulkhead)
        .service(retry);

    let state_value = |state: BreakerState| match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    };
    let state_name = |state: BreakerState| match state {
        BreakerState::Closed => "closed",
        BreakerState::HalfOpen => "half_open",
        BreakerState::Open => "open",
    };
    let dependency = DependencyLabels { peer_service: name.to_owned() };
    metrics.breaker_state.get_or_create(&dependency).set(0);
    let transitions = metrics.clone();
    let breaker_settings = BreakerSettings {
        window: settings.breaker_window,
        min_calls: settings.breaker_min_calls,
        failure_rate: settings.breaker_failure_rate,
        slow_call: settings.breaker_slow_call,
        slow_rate: settings.breaker_slow_rate,
        open_for: settings.breaker_open_for,
        half_open_calls: settings.breaker_half_open_calls,
    };
    let stack = Breaker::new(name, breaker_settings, bulkheaded, move |from, to| {
        tracing::warn!(
            dependency = name,
            from = state_name(from),
            to = state_name(to),
            "circuit breaker state changed"
        );
        let labels = DependencyLabels { peer_service: name.to_owned() };
        transitions.breaker_state.get_or_create(&labels).set(state_value(to));
        transitions
            .breaker_transitions
            .get_or_create(&TransitionLabels {
                peer_service: name.to_owned(),
                from: state_name(from),
                to: state_name(to),
            })
            .inc();
    });
    tower::util::BoxCloneSyncService::new(stack)
}
