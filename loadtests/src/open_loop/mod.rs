//! Open-loop load: requests start when the arrival plan says, however
//! slowly the shop answers, and each one's latency is measured from when it
//! was due, not from when it got sent. A closed-loop user waits for its
//! answer before it asks again, so while the shop stalls it asks nothing,
//! and the stall shows up as one slow request (coordinated omission); here
//! every arrival due during the stall waits for it, and says so.
//!
//! Each arrival is one read a visitor makes (the anonymous browsing mix:
//! [`crate::scenarios::arrival_request`]), as the scenario `open loop`.
//! Arrivals that would exceed `max_in_flight` are not started and are
//! counted as dropped (the load generator's limit, not the shop's).

pub mod schedule;
pub mod verdict;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

use crate::live::{self, Sample, Worker};
use crate::traffic::{LOAD_TEST_HEADER, traceparent, user_agent};
use schedule::ArrivalPlan;

/// The scenario every open-loop request is counted under.
pub const SCENARIO: &str = "open loop";

/// One request made for an arrival.
#[derive(Debug, Clone)]
pub struct Done {
    pub name: &'static str,
    /// 0 when no answer came.
    pub status: u16,
    pub success: bool,
    /// When it was due after the start.
    pub due: Duration,
    /// From when it was due to the end of its answer.
    pub latency: Duration,
}

impl Done {
    /// As goose's reports and thresholds name a request.
    pub fn request(&self) -> String {
        format!("GET {}", self.name)
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub requests: Vec<Done>,
    /// Arrivals not started: `max_in_flight` requests were still waiting.
    pub dropped: u64,
}

/// Runs worker `worker`'s share of `plan` against `host`, starting now.
pub async fn run(
    plan: &ArrivalPlan,
    worker: Worker,
    host: &str,
    profile: &str,
    max_in_flight: usize,
) -> anyhow::Result<Outcome> {
    let client = reqwest::Client::builder().user_agent(user_agent(profile)).timeout(Duration::from_secs(30)).build()?;
    let base = host.trim_end_matches('/').to_owned();
    let in_flight = Arc::new(Semaphore::new(max_in_flight));
    let (done, mut finished) = mpsc::unbounded_channel();
    let start = tokio::time::Instant::now();
    let mut outcome = Outcome::default();
    let scenario: Arc<str> = Arc::from(SCENARIO);
    let mut k = worker.index as u64;
    while let Some(due) = plan.due(k) {
        k += worker.count as u64;
        tokio::time::sleep_until(start + due).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            outcome.dropped += 1;
            if let Some(live) = live::get() {
                live.dropped();
            }
            continue;
        };
        let (client, base, done, profile, scenario) =
            (client.clone(), base.clone(), done.clone(), profile.to_owned(), scenario.clone());
        tokio::spawn(async move {
            let live = live::get();
            if let Some(live) = live {
                live.user_started();
            }
            let (name, path) = crate::scenarios::arrival_request();
            let sent = client
                .get(format!("{base}{path}"))
                .header(LOAD_TEST_HEADER, profile)
                .header("traceparent", traceparent())
                .send()
                .await;
            let (status, success) = match sent {
                Ok(response) => {
                    let status = response.status();
                    let read = response.bytes().await.is_ok();
                    (status.as_u16(), read && status.is_success())
                }
                Err(error) => (error.status().map_or(0, |s| s.as_u16()), false),
            };
            let latency = tokio::time::Instant::now().saturating_duration_since(start + due);
            if let Some(live) = live {
                live.count(&Sample {
                    scenario: &scenario,
                    transaction: &scenario,
                    method: "GET",
                    name,
                    status,
                    success,
                    seconds: latency.as_secs_f64(),
                });
                live.user_stopped();
            }
            let _ = done.send(Done { name, status, success, due, latency });
            drop(permit);
        });
    }
    drop(done);
    while let Some(request) = finished.recv().await {
        outcome.requests.push(request);
    }
    Ok(outcome)
}

/// The requests as goose's JSON request log writes them (the fields a
/// reader of either needs: name, method, status, response time).
pub fn request_log(requests: &[Done]) -> String {
    requests
        .iter()
        .map(|r| {
            let micros = r.latency.as_micros() as u64;
            serde_json::json!({
                "elapsed": r.due.as_millis() as u64,
                "scenario_name": SCENARIO,
                "name": r.name,
                "raw": {"method": "Get"},
                "response_time": micros / 1_000,
                "response_time_fraction_us": micros % 1_000,
                "status_code": r.status,
                "success": r.success,
            })
            .to_string()
                + "\n"
        })
        .collect()
}
