//! The experiment desk (`chaos desk`, the `chaos-desk` service): the
//! experiment catalogue, the run on show and the load generator, as the
//! control room reads and drives them. Its answers are parsed into the
//! types below; anything else is an explicit error.

use axum::http::Method;
use platform::client::{Call, ServiceClient};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::control::ControlError;

/// One experiment of the catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct Experiment {
    pub id: String,
    pub title: String,
    pub question: String,
    pub duration_s: u64,
    /// Why the desk cannot run it (it acts on containers and has no Docker).
    pub cannot_run: Option<String>,
}

/// The running experiment, else the last one.
#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    pub experiment: String,
    pub title: String,
    pub question: String,
    pub state: RunState,
    pub reasons: Vec<String>,
    /// The report's folder, once written.
    pub report: Option<String>,
    pub live: Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Passed,
    Failed,
    Aborted,
    Error,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Aborted => "stopped before the end",
            Self::Error => "could not be carried out",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Live {
    pub elapsed_s: f64,
    pub stage: String,
    pub faults: Vec<FaultRecord>,
    pub hypotheses: Vec<Check>,
    pub expectations: Vec<Check>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FaultRecord {
    pub name: String,
    pub target: String,
    pub what: String,
    pub started_s: Option<f64>,
    pub ended_s: Option<f64>,
    pub effect: String,
}

/// A hypothesis (kind `before`, `during`, `after`) or an expectation
/// (`eventually`, `always`, `at_end`) and its samples so far.
#[derive(Debug, Clone, Deserialize)]
pub struct Check {
    pub name: String,
    pub kind: String,
    pub condition: String,
    pub samples: Vec<CheckSample>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckSample {
    pub value: Option<f64>,
    pub holds: bool,
}

/// Where a check stands, as the room colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not sampled yet.
    Waiting,
    Holds,
    Broken,
}

impl Check {
    /// An `eventually` expectation holds once seen; every other check holds
    /// while no sample broke it.
    pub fn verdict(&self) -> Verdict {
        if self.samples.is_empty() {
            Verdict::Waiting
        } else if self.kind == "eventually" {
            if self.samples.iter().any(|s| s.holds) { Verdict::Holds } else { Verdict::Waiting }
        } else if self.samples.iter().all(|s| s.holds) {
            Verdict::Holds
        } else {
            Verdict::Broken
        }
    }

    pub fn last_value(&self) -> Option<f64> {
        self.samples.last().and_then(|s| s.value)
    }
}

/// The load generator as the desk sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct Load {
    pub profiles: Vec<LoadProfile>,
    pub running: bool,
    pub last: Option<LoadStarted>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoadProfile {
    pub name: String,
    pub purpose: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoadStarted {
    pub profile: String,
    pub users: Option<u32>,
    pub started_at: String,
    pub exit_code: Option<i32>,
}

#[derive(Clone)]
pub struct Desk {
    pub client: ServiceClient,
}

impl Desk {
    pub async fn experiments(&self) -> Result<Vec<Experiment>, ControlError> {
        #[derive(Deserialize)]
        struct Catalogue {
            experiments: Vec<Experiment>,
        }
        let catalogue: Catalogue = self.client.json(Call::get("/experiments")).await?;
        Ok(catalogue.experiments)
    }

    /// The run on show; `None` before the first.
    pub async fn current_run(&self) -> Result<Option<Run>, ControlError> {
        let response = self.client.send(Call::get("/runs/current")).await?;
        match response.status().as_u16() {
            200 => Ok(Some(parse(response).await?)),
            404 => Ok(None),
            status => Err(unexpected(format!("the run on show: {status}"))),
        }
    }

    pub async fn start_run(&self, experiment: &str) -> Result<(), ControlError> {
        self.post("/runs", &json!({ "experiment": experiment })).await
    }

    pub async fn stop_run(&self) -> Result<(), ControlError> {
        self.post("/runs/current/stop", &json!({})).await
    }

    /// A finished run's report page; `None` when the desk has no such report.
    pub async fn report(&self, name: &str) -> Result<Option<String>, ControlError> {
        let response = self.client.send(Call::get(format!("/reports/{name}"))).await?;
        match response.status().as_u16() {
            200 => Ok(Some(response.text().await.map_err(|e| unexpected(format!("a report: {e}")))?)),
            400 | 404 => Ok(None),
            status => Err(unexpected(format!("a report: {status}"))),
        }
    }

    pub async fn load(&self) -> Result<Load, ControlError> {
        Ok(self.client.json(Call::get("/load")).await?)
    }

    pub async fn start_load(&self, profile: &str, users: Option<u32>) -> Result<(), ControlError> {
        self.post("/load", &json!({ "profile": profile, "users": users })).await
    }

    pub async fn stop_load(&self) -> Result<(), ControlError> {
        self.post("/load/stop", &json!({})).await
    }

    /// An action: done (2xx), refused with the desk's reason (4xx), or an
    /// answer the room does not understand.
    async fn post(&self, path: &str, body: &Value) -> Result<(), ControlError> {
        let response = self.client.send(Call::new(Method::POST, path.to_owned()).json(body)).await?;
        let status = response.status().as_u16();
        match status {
            200..=299 => Ok(()),
            400..=499 => {
                let body: Value = response.json().await.unwrap_or_default();
                match body["error"]["message"].as_str() {
                    Some(message) => Err(ControlError::Refused { status, message: message.to_owned() }),
                    None => Err(unexpected(format!("{path}: {status} without the error shape"))),
                }
            }
            _ => Err(unexpected(format!("{path}: {status}"))),
        }
    }
}

async fn parse<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ControlError> {
    response.json().await.map_err(|e| unexpected(format!("an answer it does not understand: {e}")))
}

fn unexpected(detail: String) -> ControlError {
    ControlError::Unexpected { what: "the experiment desk", detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &str, samples: &[bool]) -> Check {
        Check {
            name: "x".into(),
            kind: kind.into(),
            condition: "q > 1".into(),
            samples: samples.iter().map(|&holds| CheckSample { value: Some(1.0), holds }).collect(),
        }
    }

    #[test]
    fn an_expectation_seen_once_holds_and_any_other_check_breaks_on_one_bad_sample() {
        assert_eq!(check("eventually", &[]).verdict(), Verdict::Waiting);
        assert_eq!(check("eventually", &[false, false]).verdict(), Verdict::Waiting, "not seen yet is not broken");
        assert_eq!(check("eventually", &[false, true, false]).verdict(), Verdict::Holds);
        assert_eq!(check("before", &[true]).verdict(), Verdict::Holds);
        assert_eq!(check("always", &[true, false, true]).verdict(), Verdict::Broken);
        assert_eq!(check("at_end", &[]).verdict(), Verdict::Waiting);
    }

    #[test]
    fn the_desks_run_view_is_read_and_an_unknown_state_is_refused() {
        let view = json!({
            "experiment": "payments-slow", "title": "Payments is slow", "question": "q?",
            "started_at": "2026-12-03T14:00:00Z", "state": "running", "reasons": [], "report": null,
            "live": { "elapsed_s": 3.5, "timeline_origin_s": null, "stage": "warming up",
                      "faults": [], "hypotheses": [], "expectations": [] }
        });
        let run: Run = serde_json::from_value(view.clone()).unwrap();
        assert_eq!((run.state, run.live.stage.as_str()), (RunState::Running, "warming up"));
        let mut odd = view;
        odd["state"] = json!("paused");
        assert!(serde_json::from_value::<Run>(odd).is_err(), "a state the room does not know is an error");
    }
}
