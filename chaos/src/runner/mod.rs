//! Runs an experiment against a running stack.
//!
//! 1. Checks every proxy and container the faults name exists.
//! 2. Starts the load and lets it warm up.
//! 3. Checks the steady-state hypothesis (`before`); if it does not hold,
//!    no fault is injected: the experiment fails.
//! 4. Walks the timeline: puts each fault in place at its time and takes it
//!    away after its duration, sampling the expectations that watch it and
//!    the `during` hypotheses every `interval`.
//! 5. After the cool-down: the `at_end` expectations and the `after` hypotheses.
//! 6. Always — passed, failed, errored or interrupted — removes every fault
//!    still in place and stops the load, then writes the report.
//!
//! A fault that acted on nothing (no fault injected by its toxic, the
//! container still running) fails the experiment, as does any expectation
//! not seen: an experiment proves its faults' effect or it fails.

pub mod checks;
pub mod containers;
pub mod durations;
pub mod experiment;
pub mod faults;
pub mod load;
pub mod monkey;
pub mod pods;
pub mod prometheus;
pub mod report;
mod timeline;

use std::future::Future;
use std::path::PathBuf;

pub use experiment::Experiment;
pub use report::{Live, Outcome, Report};

/// Where the stack is, and where the report goes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub prometheus: String,
    pub proxy_api: String,
    pub gateway: String,
    /// The compose project of the containers faults stop.
    pub compose_project: String,
    /// On a Kubernetes cluster instead: the namespace of the Deployments
    /// that stop and kill faults scale down (`pods.rs`).
    pub kubernetes_namespace: Option<String>,
    pub load_binary: PathBuf,
    /// Skip the experiment's `[load]` (traffic comes from elsewhere).
    pub no_load: bool,
    /// The invariant checker's command line.
    pub invariants: Vec<String>,
    pub report_dir: PathBuf,
    /// Print progress to stderr.
    pub progress: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            prometheus: "http://127.0.0.1:9090".into(),
            proxy_api: "http://127.0.0.1:8474".into(),
            gateway: "http://127.0.0.1:8080".into(),
            compose_project: "testbed".into(),
            kubernetes_namespace: None,
            load_binary: load::default_binary(),
            no_load: false,
            invariants: vec!["scripts/invariants.sh".into()],
            report_dir: PathBuf::from("reports/chaos"),
            progress: true,
        }
    }
}

/// Runs `experiment` (read from `file`) until it ends or `interrupt`
/// resolves; writes `report.json` and `report.html` under a directory of
/// `settings.report_dir` named after the file and the time. Returns the
/// report and its directory.
pub async fn run(
    experiment: &Experiment,
    file: &str,
    settings: &Settings,
    interrupt: impl Future<Output = ()>,
) -> anyhow::Result<(Report, PathBuf)> {
    run_observed(experiment, file, settings, interrupt, None).await
}

/// [`run`], publishing the run's progress to `observer` as it happens.
pub async fn run_observed(
    experiment: &Experiment,
    file: &str,
    settings: &Settings,
    interrupt: impl Future<Output = ()>,
    observer: Option<&tokio::sync::watch::Sender<Live>>,
) -> anyhow::Result<(Report, PathBuf)> {
    let stem = std::path::Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or("experiment");
    let dir = settings.report_dir.join(format!("{stem}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
    std::fs::create_dir_all(&dir)?;
    let mut run = timeline::Run::new(experiment, file, settings, &dir);
    if let Some(observer) = observer {
        run = run.observed_by(observer);
    }
    let report = run.execute(interrupt).await;
    std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&report)?)?;
    std::fs::write(dir.join("report.html"), report.html())?;
    Ok((report, dir))
}
