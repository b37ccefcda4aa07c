//! One experiment at a time: started from the desk, watched while it runs
//! (its live view), stopped on demand (faults removed, as on Ctrl-C), and
//! kept once it ends so that its outcome and report stay on show.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{oneshot, watch};

use crate::runner::{self, Experiment, Live, Outcome, Settings};

/// The run on show: the one running, else the last one.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub experiment: String,
    pub title: String,
    pub question: String,
    pub started_at: String,
    /// `running` until it ends, then its outcome.
    pub state: State,
    /// Why it did not pass, once it ended.
    pub reasons: Vec<String>,
    /// The report's folder name, once written (`GET /reports/{report}`).
    pub report: Option<String>,
    pub live: Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Running,
    Passed,
    Failed,
    Aborted,
    Error,
}

impl From<Outcome> for State {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Passed => Self::Passed,
            Outcome::Failed => Self::Failed,
            Outcome::Aborted => Self::Aborted,
            Outcome::Error => Self::Error,
        }
    }
}

struct Slot {
    view: RunView,
    live: watch::Receiver<Live>,
    /// Dropping it would read as "stop": kept until asked, or the end.
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// The desk's one experiment slot.
#[derive(Clone, Default)]
pub struct Runs {
    slot: Arc<Mutex<Option<Slot>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0:?} is running: stop it or let it end first")]
    Busy(String),
    #[error("no experiment is running")]
    NothingRunning,
}

impl Runs {
    /// Starts `experiment` (read from `file`, listed as `id`) in the background.
    pub fn start(&self, id: &str, file: PathBuf, experiment: Experiment, settings: Settings) -> Result<(), RunError> {
        let mut slot = self.slot.lock().expect("the run slot");
        if let Some(current) = slot.as_ref().filter(|s| s.view.state == State::Running) {
            return Err(RunError::Busy(current.view.experiment.clone()));
        }
        let (observer, live) = watch::channel(Live::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let view = RunView {
            experiment: id.to_owned(),
            title: experiment.title.clone(),
            question: experiment.question.trim().to_owned(),
            started_at: chrono::Utc::now().to_rfc3339(),
            state: State::Running,
            reasons: Vec::new(),
            report: None,
            live: Live::default(),
        };
        let runs = self.clone();
        let task = tokio::spawn(async move {
            let file = file.display().to_string();
            let interrupt = async move {
                let _ = stopped.await;
            };
            let result = runner::run_observed(&experiment, &file, &settings, interrupt, Some(&observer)).await;
            runs.finish(result);
        });
        *slot = Some(Slot { view, live, stop: Some(stop), task: Some(task) });
        Ok(())
    }

    fn finish(&self, result: anyhow::Result<(runner::Report, PathBuf)>) {
        let mut slot = self.slot.lock().expect("the run slot");
        let Some(slot) = slot.as_mut() else { return };
        slot.stop = None;
        slot.task = None;
        match result {
            Ok((report, dir)) => {
                slot.view.state = report.outcome.into();
                slot.view.reasons = report.reasons;
                slot.view.report = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned);
            }
            Err(error) => {
                tracing::error!("the experiment could not be carried out: {error:#}");
                slot.view.state = State::Error;
                slot.view.reasons = vec![format!("{error:#}")];
            }
        }
    }

    /// The run on show, with its live view as of now.
    pub fn current(&self) -> Option<RunView> {
        let slot = self.slot.lock().expect("the run slot");
        slot.as_ref().map(|slot| {
            let mut view = slot.view.clone();
            view.live = slot.live.borrow().clone();
            view
        })
    }

    /// Asks the running experiment to stop: it removes its faults, stops its
    /// load and writes its report (outcome `aborted`).
    pub fn stop(&self) -> Result<(), RunError> {
        let mut slot = self.slot.lock().expect("the run slot");
        let stop = slot.as_mut().and_then(|slot| slot.stop.take()).ok_or(RunError::NothingRunning)?;
        let _ = stop.send(());
        Ok(())
    }

    /// Stops the running experiment, if any, and waits until its faults are
    /// removed: for the desk's shutdown.
    pub async fn stop_and_wait(&self) {
        let task = {
            let mut slot = self.slot.lock().expect("the run slot");
            slot.as_mut().and_then(|slot| {
                if let Some(stop) = slot.stop.take() {
                    let _ = stop.send(());
                }
                slot.task.take()
            })
        };
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}
