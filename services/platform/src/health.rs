//! Liveness, readiness and the metrics endpoint.
//!
//! `/health` answers as long as the process serves HTTP; `/ready` checks every
//! dependency the service cannot work without (database, broker, ...) and
//! answers 503 with the failing checks, also while the service drains.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::future::{BoxFuture, join_all};
use serde_json::{Map, Value, json};
use sqlx::PgPool;

use crate::metrics::MetricsEndpoint;

/// How long one readiness check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

type CheckFn = dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// One dependency to check for readiness.
#[derive(Clone)]
pub struct ReadinessCheck {
    name: String,
    check: Arc<CheckFn>,
    /// A failing optional check is reported but leaves the service ready:
    /// it can still do useful work (auth can log in while users is down),
    /// and failing readiness would spread one outage to every caller.
    required: bool,
}

impl ReadinessCheck {
    pub fn new<F, Fut>(name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self { name: name.into(), check: Arc::new(move || Box::pin(check())), required: true }
    }

    /// Reported in `/ready`, without making the service unready.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// The database answers a trivial query.
    pub fn postgres(pool: PgPool) -> Self {
        Self::new("postgres", move || {
            let pool = pool.clone();
            async move { sqlx::query("SELECT 1").execute(&pool).await.map(|_| ()).map_err(|e| e.to_string()) }
        })
    }
}

/// Everything the operational routes need.
#[derive(Clone)]
pub struct OpsState {
    pub checks: Arc<Vec<ReadinessCheck>>,
    pub metrics: MetricsEndpoint,
    /// Set when shutdown starts, so that load balancers stop sending traffic.
    pub draining: Arc<AtomicBool>,
}

/// `/health`, `/ready`, `/metrics`.
pub fn ops_routes(state: OpsState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(State(state): State<OpsState>) -> Response {
    let results = join_all(state.checks.iter().map(|c| async move {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, (c.check)()).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {CHECK_TIMEOUT:?}")),
        };
        (c.name.clone(), c.required, outcome)
    }))
    .await;

    let mut checks = Map::new();
    let mut failures = Vec::new();
    let mut degraded = Vec::new();
    for (name, required, outcome) in results {
        match outcome {
            Ok(()) => checks.insert(name, "ok".into()),
            Err(error) => {
                if required {
                    failures.push(format!("{name}: {error}"));
                } else {
                    degraded.push(Value::from(name.clone()));
                }
                checks.insert(name, format!("error: {error}").into())
            }
        };
    }
    if state.draining.load(Ordering::Relaxed) {
        failures.push("shutting down".to_owned());
    }
    if failures.is_empty() {
        let status = if degraded.is_empty() { "ready" } else { "degraded" };
        let body = json!({ "status": status, "checks": checks, "degraded": degraded });
        (StatusCode::OK, Json(body)).into_response()
    } else {
        let body = json!({
            "status": "not_ready",
            "checks": checks,
            "error": { "code": "not_ready", "message": failures.join("; ") },
        });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

async fn metrics(State(state): State<OpsState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
        .into_response()
}
