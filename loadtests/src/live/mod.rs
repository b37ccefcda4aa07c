//! Live metrics of a load run, on `/metrics` while it runs, so that
//! Prometheus can add up many workers into one run: requests by scenario,
//! transaction, request, status and phase of the plan; latency as a
//! histogram whose buckets every worker shares ([`histogram`]); users active;
//! open-loop arrivals that could not start. Every series carries the
//! worker's `worker`, `workers` and `profile` labels.
//!
//! Off unless `--metrics-addr` is given: [`record`] then costs one atomic
//! load.

pub mod histogram;
pub mod server;

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use goose::metrics::GooseRequestMetric;
use tokio::sync::Notify;

use crate::plan::{Phase, Phases};
use histogram::LatencyHistogram;

/// Who this process is in a run of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worker {
    pub index: usize,
    pub count: usize,
}

/// What every worker of one run shares, and says on `/metrics`.
#[derive(Debug, Clone)]
pub struct Run {
    /// Names the run in Prometheus (`run` label): the common start time.
    pub id: String,
    pub profile: String,
    /// `closed` (goose's users) or `open` (a fixed arrival rate).
    pub mode: &'static str,
    /// The whole run's plan, as given (not this worker's share).
    pub plan: String,
}

/// The labels of one request counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RequestKey {
    scenario: Arc<str>,
    transaction: Arc<str>,
    /// `<METHOD> <name>`, as goose's reports and thresholds name it.
    request: String,
    status: u16,
    success: bool,
    phase: Phase,
}

/// One request as the live metrics count it.
pub struct Sample<'a> {
    pub scenario: &'a Arc<str>,
    pub transaction: &'a Arc<str>,
    pub method: &'a str,
    pub name: &'a str,
    /// 0 when no answer came.
    pub status: u16,
    pub success: bool,
    pub seconds: f64,
}

pub struct LiveMetrics {
    /// `worker="…",workers="…",profile="…",run="…"`, on every series.
    labels: String,
    /// `mode="…",plan="…"`, on `shop_load_worker_info` only.
    info: String,
    phases: Phases,
    /// When the plan started, set once by [`LiveMetrics::start`].
    started: OnceLock<(Instant, f64)>,
    requests: RwLock<HashMap<RequestKey, Arc<AtomicU64>>>,
    latency: RwLock<HashMap<String, Arc<LatencyHistogram>>>,
    users: AtomicI64,
    dropped: AtomicU64,
    finished: AtomicBool,
    /// Scrapes served since the run finished; [`LiveMetrics::scraped_after_finish`] waits on it.
    final_scrapes: AtomicU64,
    scraped: Notify,
}

static LIVE: OnceLock<LiveMetrics> = OnceLock::new();

/// Turns the live metrics on for this process (once).
pub fn enable(worker: Worker, run: &Run, phases: Phases) -> &'static LiveMetrics {
    LIVE.get_or_init(|| LiveMetrics::new(worker, run, phases))
}

/// The live metrics, when they are on.
pub fn get() -> Option<&'static LiveMetrics> {
    LIVE.get()
}

/// Counts a request goose made (nothing when the live metrics are off).
pub fn record(metric: &GooseRequestMetric) {
    let Some(live) = LIVE.get() else { return };
    let transaction = match &metric.transaction_name {
        goose::goose::TransactionName::InheritNameByRequests(name)
        | goose::goose::TransactionName::TransactionOnly(name) => name,
    };
    let micros = metric.response_time * 1_000 + u64::from(metric.response_time_fraction_us);
    live.count(&Sample {
        scenario: &metric.scenario_name,
        transaction,
        method: &metric.raw.method.to_string(),
        name: &metric.name,
        status: metric.status_code,
        success: metric.success,
        seconds: micros as f64 / 1e6,
    });
}

impl LiveMetrics {
    fn new(worker: Worker, run: &Run, phases: Phases) -> Self {
        LiveMetrics {
            labels: format!(
                "worker=\"{}\",workers=\"{}\",profile=\"{}\",run=\"{}\"",
                worker.index,
                worker.count,
                escape(&run.profile),
                escape(&run.id)
            ),
            info: format!("mode=\"{}\",plan=\"{}\"", run.mode, escape(&run.plan)),
            phases,
            started: OnceLock::new(),
            requests: RwLock::default(),
            latency: RwLock::default(),
            users: AtomicI64::new(0),
            dropped: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            final_scrapes: AtomicU64::new(0),
            scraped: Notify::new(),
        }
    }

    /// The plan starts now: phases are counted from here.
    pub fn start(&self) {
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let _ = self.started.set((Instant::now(), unix.as_secs_f64()));
    }

    pub fn count(&self, sample: &Sample<'_>) {
        let phase = match self.started.get() {
            Some((at, _)) => self.phases.at(at.elapsed()),
            None => Phase::Increase,
        };
        let request = format!("{} {}", sample.method, sample.name);
        let key = RequestKey {
            scenario: sample.scenario.clone(),
            transaction: sample.transaction.clone(),
            request,
            status: sample.status,
            success: sample.success,
            phase,
        };
        let counter = self.requests.read().expect("not poisoned").get(&key).cloned();
        let counter = match counter {
            Some(counter) => counter,
            None => self.requests.write().expect("not poisoned").entry(key.clone()).or_default().clone(),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let histogram = self.latency.read().expect("not poisoned").get(&key.request).cloned();
        let histogram = match histogram {
            Some(histogram) => histogram,
            None => self.latency.write().expect("not poisoned").entry(key.request).or_default().clone(),
        };
        histogram.record(sample.seconds);
    }

    pub fn user_started(&self) {
        self.users.fetch_add(1, Ordering::Relaxed);
    }

    pub fn user_stopped(&self) {
        self.users.fetch_sub(1, Ordering::Relaxed);
    }

    /// An open-loop arrival that could not start (too many in flight).
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Every request this worker counted.
    pub fn total(&self) -> u64 {
        self.requests.read().expect("not poisoned").values().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The run is over: `shop_load_finished` turns 1, so that the judge can
    /// tell a worker that ended from one that vanished.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }

    /// Waits until Prometheus has scraped the finished worker once, so that
    /// its last requests are counted, or `patience` has passed. True when scraped.
    pub async fn scraped_after_finish(&self, patience: std::time::Duration) -> bool {
        let waited = tokio::time::timeout(patience, async {
            loop {
                let notified = self.scraped.notified();
                if self.final_scrapes.load(Ordering::SeqCst) > 0 {
                    return;
                }
                notified.await;
            }
        });
        waited.await.is_ok()
    }

    /// The Prometheus text exposition of everything so far.
    pub fn render(&self) -> String {
        let finished = self.finished.load(Ordering::SeqCst);
        let labels = &self.labels;
        let mut out = String::with_capacity(64 * 1024);
        let _ = writeln!(out, "# HELP shop_load_worker_info This worker, in a run of `workers`.");
        let _ = writeln!(out, "# TYPE shop_load_worker_info gauge");
        let _ = writeln!(out, "shop_load_worker_info{{{labels},{}}} 1", self.info);
        let _ = writeln!(out, "# HELP shop_load_start_time_seconds When the plan started (unix time), 0 before.");
        let _ = writeln!(out, "# TYPE shop_load_start_time_seconds gauge");
        let started = self.started.get().map_or(0.0, |(_, unix)| *unix);
        let _ = writeln!(out, "shop_load_start_time_seconds{{{labels}}} {started}");
        let _ = writeln!(out, "# HELP shop_load_finished 1 once the worker's run has ended.");
        let _ = writeln!(out, "# TYPE shop_load_finished gauge");
        let _ = writeln!(out, "shop_load_finished{{{labels}}} {}", u8::from(finished));
        let _ = writeln!(out, "# HELP shop_load_users_active Virtual users running now.");
        let _ = writeln!(out, "# TYPE shop_load_users_active gauge");
        let _ = writeln!(out, "shop_load_users_active{{{labels}}} {}", self.users.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP shop_load_dropped_total Open-loop arrivals not started: too many in flight.");
        let _ = writeln!(out, "# TYPE shop_load_dropped_total counter");
        let _ = writeln!(out, "shop_load_dropped_total{{{labels}}} {}", self.dropped.load(Ordering::Relaxed));

        let _ = writeln!(out, "# HELP shop_load_requests_total Requests made, by what made them and how they ended.");
        let _ = writeln!(out, "# TYPE shop_load_requests_total counter");
        let mut requests: Vec<(RequestKey, u64)> = self
            .requests
            .read()
            .expect("not poisoned")
            .iter()
            .map(|(key, count)| (key.clone(), count.load(Ordering::Relaxed)))
            .collect();
        requests.sort_by(|a, b| (&a.0.request, a.0.status, a.0.phase).cmp(&(&b.0.request, b.0.status, b.0.phase)));
        for (key, count) in requests {
            let _ = writeln!(
                out,
                "shop_load_requests_total{{{labels},scenario=\"{}\",transaction=\"{}\",request=\"{}\",status=\"{}\",outcome=\"{}\",phase=\"{}\"}} {count}",
                escape(&key.scenario),
                escape(&key.transaction),
                escape(&key.request),
                key.status,
                if key.success { "ok" } else { "error" },
                key.phase.as_str(),
            );
        }
        let _ = writeln!(out, "# HELP shop_load_request_duration_seconds Latency of each request, as the load saw it.");
        let _ = writeln!(out, "# TYPE shop_load_request_duration_seconds histogram");
        let mut latency: Vec<(String, Arc<LatencyHistogram>)> =
            self.latency.read().expect("not poisoned").iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        latency.sort_by(|a, b| a.0.cmp(&b.0));
        for (request, histogram) in latency {
            let series_labels = format!("{labels},request=\"{}\"", escape(&request));
            histogram.write(&mut out, "shop_load_request_duration_seconds", &series_labels);
        }
        if finished {
            self.final_scrapes.fetch_add(1, Ordering::SeqCst);
            self.scraped.notify_waiters();
        }
        out
    }
}

/// A label value as the exposition format wants it.
fn escape(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sample<'a>(scenario: &'a Arc<str>, name: &'a str, status: u16, seconds: f64) -> Sample<'a> {
        Sample { scenario, transaction: scenario, method: "GET", name, status, success: status < 400, seconds }
    }

    #[test]
    fn requests_are_counted_by_their_labels_and_timed_by_request() {
        let live = test_metrics();
        let browse: Arc<str> = Arc::from("browse \"all\"");
        for (status, seconds) in [(200, 0.01), (200, 0.02), (503, 0.5)] {
            live.count(&sample(&browse, "list", status, seconds));
        }
        let text = live.render();
        let line = |prefix: &str| text.lines().find(|l| l.starts_with(prefix) && l.contains(r#"status="200""#));
        let ok = line("shop_load_requests_total").unwrap();
        assert!(ok.contains(r#"worker="1",workers="3",profile="smoke",run="r1""#), "{ok}");
        assert!(ok.contains(r#"scenario="browse \"all\"""#) && ok.contains(r#"request="GET list""#), "{ok}");
        assert!(ok.contains(r#"outcome="ok""#) && ok.ends_with(" 2"), "{ok}");
        assert!(text.lines().any(|l| l.contains(r#"status="503""#) && l.contains(r#"outcome="error""#)));
        assert!(text.contains(r#"shop_load_request_duration_seconds_count{worker="1",workers="3",profile="smoke",run="r1",request="GET list"} 3"#), "{text}");
        assert!(text.contains("shop_load_finished{") && text.contains("} 0\n"));
        assert_eq!(live.total(), 3);
    }

    fn test_metrics() -> LiveMetrics {
        let run = Run { id: "r1".into(), profile: "smoke".into(), mode: "closed", plan: "4,2s;4,12s;0,1s".into() };
        LiveMetrics::new(Worker { index: 1, count: 3 }, &run, Phases::default())
    }

    #[tokio::test]
    async fn a_finished_worker_waits_for_one_scrape_and_no_longer() {
        let live: &'static LiveMetrics = Box::leak(Box::new(test_metrics()));
        assert!(!live.scraped_after_finish(Duration::from_millis(20)).await, "nobody scraped");
        live.render();
        assert!(!live.scraped_after_finish(Duration::from_millis(20)).await, "a scrape before the end does not count");
        live.finish();
        let waiting = tokio::spawn(live.scraped_after_finish(Duration::from_secs(30)));
        tokio::task::yield_now().await;
        assert!(
            live.render().contains("shop_load_finished{worker=\"1\",workers=\"3\",profile=\"smoke\",run=\"r1\"} 1")
        );
        assert!(waiting.await.unwrap());
    }
}
