//! The experiment desk: the runner and the load generator behind a small
//! HTTP API, so that the storefront's control room (services/web) can list
//! the experiment catalogue, start and stop one, watch its hypotheses and
//! expectations as they are sampled, open its report, and start and stop
//! a named load profile.
//!
//! ```text
//! GET  /experiments          the catalogue: id, title, question, duration
//! POST /runs                 {"experiment": "payments-slow"}: start it (one at a time)
//! GET  /runs/current         the run on show: state, live checks, reasons, report
//! POST /runs/current/stop    stop it: faults removed, report written (aborted)
//! GET  /reports/{report}     a finished run's report (HTML)
//! GET  /load                 the profiles, and the load running or last run
//! POST /load                 {"profile": "average", "users": 20}: start it
//! POST /load/stop            stop it
//! GET  /load/metrics         the running load's live metrics (for Prometheus)
//! ```
//! Errors answer in the project's JSON error shape. `chaos desk` serves it;
//! compose runs it as the `chaos-desk` service.

pub mod catalogue;
pub mod load;
pub mod runs;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use platform::{ApiError, AppJson, AppPath};
use serde::Deserialize;

use crate::runner::Settings;
pub use load::{Load, LoadSettings};
pub use runs::Runs;

/// What the desk works with.
#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

struct Inner {
    experiments: PathBuf,
    settings: Settings,
    docker_available: bool,
    runs: Runs,
    load: Load,
}

impl Desk {
    /// A desk for the experiments of `experiments`, run with `settings`
    /// (reports go to `settings.report_dir`).
    pub fn new(experiments: PathBuf, settings: Settings, load: Load) -> Self {
        let docker_available = catalogue::on_path("docker");
        Self { inner: Arc::new(Inner { experiments, settings, docker_available, runs: Runs::default(), load }) }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/health", get(|| async { "ok" }))
            .route("/experiments", get(experiments))
            .route("/runs", post(start_run))
            .route("/runs/current", get(current_run))
            .route("/runs/current/stop", post(stop_run))
            .route("/reports/{report}", get(report))
            .route("/load", get(load_view).post(start_load))
            .route("/load/stop", post(stop_load))
            .route("/load/metrics", get(load_metrics))
            .with_state(self.clone())
    }

    /// Stops whatever runs (faults removed, load killed): for shutdown.
    pub async fn shut_down(&self) {
        self.inner.runs.stop_and_wait().await;
        let _ = self.inner.load.stop().await;
    }
}

async fn experiments(State(desk): State<Desk>) -> impl IntoResponse {
    let entries = catalogue::list(&desk.inner.experiments, desk.inner.docker_available);
    AppJson(serde_json::json!({ "experiments": entries }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRun {
    experiment: String,
}

async fn start_run(State(desk): State<Desk>, AppJson(body): AppJson<StartRun>) -> Result<impl IntoResponse, ApiError> {
    let inner = &desk.inner;
    let (file, experiment) = catalogue::find(&inner.experiments, &body.experiment)
        .ok_or_else(|| ApiError::not_found(format!("no experiment {:?} in the catalogue", body.experiment)))?;
    let experiment = experiment.map_err(|error| ApiError::unprocessable("invalid_experiment", format!("{error:#}")))?;
    let entry = catalogue::entry(body.experiment.clone(), &experiment, inner.docker_available);
    if let Some(why) = entry.cannot_run {
        return Err(ApiError::conflict("cannot_run_here", why));
    }
    inner
        .runs
        .start(&body.experiment, file, experiment, inner.settings.clone())
        .map_err(|error| ApiError::conflict("experiment_running", error.to_string()))?;
    Ok((StatusCode::ACCEPTED, AppJson(inner.runs.current())))
}

async fn current_run(State(desk): State<Desk>) -> Result<impl IntoResponse, ApiError> {
    let view = desk.inner.runs.current().ok_or_else(|| ApiError::not_found("no experiment has run yet"))?;
    Ok(AppJson(view))
}

async fn stop_run(State(desk): State<Desk>) -> Result<impl IntoResponse, ApiError> {
    desk.inner.runs.stop().map_err(|error| ApiError::conflict("nothing_running", error.to_string()))?;
    Ok((StatusCode::ACCEPTED, AppJson(desk.inner.runs.current())))
}

/// A report by its folder's name: only a plain name (letters, digits, `-`,
/// `_`) is looked up, so nothing outside the reports folder can be read.
async fn report(State(desk): State<Desk>, AppPath(name): AppPath<String>) -> Result<impl IntoResponse, ApiError> {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return Err(ApiError::bad_request("invalid_report", "a report is named by its folder's plain name"));
    }
    let path = desk.inner.settings.report_dir.join(&name).join("report.html");
    let html =
        tokio::fs::read_to_string(&path).await.map_err(|_| ApiError::not_found(format!("no report {name:?}")))?;
    Ok(([(CONTENT_TYPE, "text/html; charset=utf-8")], html))
}

async fn load_view(State(desk): State<Desk>) -> impl IntoResponse {
    AppJson(desk.inner.load.view().await)
}

async fn start_load(
    State(desk): State<Desk>,
    AppJson(request): AppJson<load::LoadRequest>,
) -> Result<impl IntoResponse, ApiError> {
    use load::LoadError;
    let started = desk.inner.load.start(request).await.map_err(|error| match error {
        LoadError::UnknownProfile(..) => ApiError::bad_request("unknown_profile", error.to_string()),
        LoadError::Users => ApiError::bad_request("invalid_users", error.to_string()),
        LoadError::Busy(_) => ApiError::conflict("load_running", error.to_string()),
        LoadError::NothingRunning | LoadError::Spawn(..) => ApiError::Internal(anyhow::anyhow!("{error}")),
    })?;
    Ok((StatusCode::ACCEPTED, AppJson(started)))
}

async fn stop_load(State(desk): State<Desk>) -> Result<impl IntoResponse, ApiError> {
    desk.inner.load.stop().await.map_err(|error| ApiError::conflict("nothing_running", error.to_string()))?;
    Ok(AppJson(desk.inner.load.view().await))
}

async fn load_metrics(State(desk): State<Desk>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], desk.inner.load.metrics().await)
}
