//! `shop-load judge`: a run of many workers judged as one. Prometheus holds
//! every worker's live metrics ([`crate::live`]); the judge adds them up
//! over the run's window and evaluates the profile's thresholds on the sum:
//! the percentiles of all requests together, not an average of each
//! worker's percentiles (which is no percentile at all).
//!
//! A run that is not whole is not judged as if it were: a worker that never
//! reported, or stopped reporting before its run ended, is named and fails
//! the run, rather than passing as a smaller load.

pub mod query;
pub mod rules;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use serde_json::{Value, json};

use crate::plan::Phases;
use crate::report::Row;
use query::{Prometheus, Window, quoted};
use rules::{Metric, Rule};

/// How one worker of the run fared.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSeen {
    pub worker: usize,
    pub requests: f64,
    pub finished: bool,
    /// When Prometheus last scraped it (unix seconds).
    pub last_seen: f64,
    /// Seconds between its scrapes (the median; 0 when seen once).
    pub interval: f64,
    /// Whether its last scrape in the window failed (`up` 0).
    pub scrape_failing: bool,
}

#[derive(Debug)]
pub struct Verdict {
    pub profile: String,
    pub run: String,
    pub plan: String,
    pub workers_expected: usize,
    pub workers: Vec<WorkerSeen>,
    /// Why the run is not whole, one line per worker.
    pub problems: Vec<String>,
    pub rows: Vec<Row>,
    pub requests: f64,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.rows.iter().all(|r| r.passed)
    }

    pub fn to_json(&self, window: &Window, prometheus: &str) -> Value {
        json!({
            "profile": self.profile,
            "test_plan": self.plan,
            "passed": self.passed(),
            "run": self.run,
            "judged_from": prometheus,
            "window": {"from": window.from.to_rfc3339(), "to": window.to.to_rfc3339()},
            "requests": self.requests,
            "workers_expected": self.workers_expected,
            "workers": self.workers.iter().map(|w| json!({
                "worker": w.worker, "requests": w.requests, "finished": w.finished, "last_seen": w.last_seen,
            })).collect::<Vec<_>>(),
            "problems": self.problems,
            "thresholds": self.rows.iter().map(Row::to_json).collect::<Vec<_>>(),
        })
    }
}

/// Judges the run of `profile` whose workers reported in `window` (`run`
/// names it when several did) against `thresholds`.
pub async fn judge(
    prometheus: &Prometheus,
    profile: &str,
    window: &Window,
    run: Option<&str>,
    thresholds: &[String],
) -> anyhow::Result<Verdict> {
    let rules = thresholds.iter().map(|t| Rule::parse(t)).collect::<anyhow::Result<Vec<_>>>()?;
    let info = prometheus.query(&window.last(&format!("shop_load_worker_info{{profile={}}}", quoted(profile)))).await?;
    let runs: BTreeSet<&str> =
        info.iter().map(|s| s.label("run")).filter(|r| run.is_none_or(|run| run == *r)).collect();
    let run = match runs.len() {
        1 => runs.into_iter().next().unwrap_or_default().to_owned(),
        0 => bail!(
            "no shop-load worker of profile {profile}{} reported to Prometheus between {} and {}: is it scraping the workers' /metrics?",
            run.map(|r| format!(" and run {r}")).unwrap_or_default(),
            window.from.to_rfc3339(),
            window.to.to_rfc3339()
        ),
        _ => bail!("several runs of profile {profile} in the window: {runs:?}; name one with --run"),
    };
    let info: Vec<_> = info.into_iter().filter(|s| s.label("run") == run).collect();
    let workers_expected = info.iter().filter_map(|s| s.label("workers").parse::<usize>().ok()).max().unwrap_or(0);
    let plan = info.first().map(|s| s.label("plan").to_owned()).unwrap_or_default();
    let mode = info.first().map(|s| s.label("mode").to_owned()).unwrap_or_default();
    let in_run = format!("run={}", quoted(&run));

    let requests_by_worker: BTreeMap<usize, f64> = prometheus
        .query(&format!("sum by (worker) ({})", window.delta(&format!("shop_load_requests_total{{{in_run}}}"))))
        .await?
        .iter()
        .filter_map(|s| Some((s.label("worker").parse().ok()?, s.value())))
        .collect();
    let failing: BTreeSet<String> = prometheus
        .query(&window.last("up"))
        .await?
        .iter()
        .filter(|s| s.value() == 0.0)
        .map(|s| s.label("instance").to_owned())
        .collect();
    let mut workers: Vec<WorkerSeen> = prometheus
        .query(&window.samples(&format!("shop_load_finished{{{in_run}}}")))
        .await?
        .iter()
        .filter_map(|s| {
            let worker: usize = s.label("worker").parse().ok()?;
            let (last_seen, finished) = s.points.last().copied()?;
            Some(WorkerSeen {
                worker,
                requests: requests_by_worker.get(&worker).copied().unwrap_or(0.0),
                finished: finished == 1.0,
                last_seen,
                interval: median_step(&s.points),
                scrape_failing: failing.contains(s.label("instance")),
            })
        })
        .collect();
    workers.sort_by_key(|w| w.worker);
    let problems = problems(&workers, workers_expected, window);

    let phases = Phases::of_run(&mode, &plan);
    let mut rows = Vec::with_capacity(rules.len());
    for rule in &rules {
        rows.push(evaluate(prometheus, window, &in_run, &phases, rule).await?);
    }
    Ok(Verdict {
        profile: profile.to_owned(),
        run,
        plan,
        workers_expected,
        requests: workers.iter().map(|w| w.requests).sum(),
        workers,
        problems,
        rows,
    })
}

/// Where a worker stands at the end of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Finished,
    /// Scraped as often as before up to the window's end: still going.
    Running,
    /// Its scrapes failed, or stopped, before its run ended.
    Lost,
}

impl WorkerSeen {
    pub fn standing(&self, window: &Window) -> Standing {
        let to = window.to.timestamp_millis() as f64 / 1_000.0;
        if self.finished {
            Standing::Finished
        } else if to - self.last_seen <= 3.0 * self.interval.max(1.0) && !self.scrape_failing {
            Standing::Running
        } else {
            Standing::Lost
        }
    }
}

impl Verdict {
    /// Every worker has reported, and each has finished or is lost: judging
    /// later would change nothing.
    pub fn settled(&self, window: &Window) -> bool {
        self.workers_expected > 0
            && self.workers.len() == self.workers_expected
            && self.workers.iter().all(|w| w.standing(window) != Standing::Running)
    }
}

/// What keeps the run from being whole, naming each worker.
fn problems(workers: &[WorkerSeen], expected: usize, window: &Window) -> Vec<String> {
    let mut problems = Vec::new();
    for index in 0..expected {
        if !workers.iter().any(|w| w.worker == index) {
            problems.push(format!("worker {index} of {expected} never reported to Prometheus in the window"));
        }
    }
    for worker in workers {
        let at = chrono::DateTime::from_timestamp_millis((worker.last_seen * 1_000.0) as i64).unwrap_or_default();
        match worker.standing(window) {
            Standing::Finished => {}
            Standing::Running => problems.push(format!(
                "worker {} of {expected} had not finished at the end of the window ({}): judge the run after it ends",
                worker.worker,
                window.to.to_rfc3339()
            )),
            Standing::Lost => problems.push(format!(
                "worker {} of {expected} stopped reporting at {} before its run ended (killed, or lost to Prometheus): its load is missing from the run",
                worker.worker,
                at.to_rfc3339()
            )),
        }
    }
    problems
}

/// One rule on the sum over every worker.
async fn evaluate(
    prometheus: &Prometheus,
    window: &Window,
    in_run: &str,
    phases: &Phases,
    rule: &Rule,
) -> anyhow::Result<Row> {
    let only = rule.request.as_deref().map(|r| format!(",request={}", quoted(r))).unwrap_or_default();
    let requests = |extra: &str| format!("shop_load_requests_total{{{in_run}{only}{extra}}}");
    let latency = |part: &str| format!("shop_load_request_duration_seconds_{part}{{{in_run}{only}}}");
    let sum = |selector: String| format!("sum({})", window.delta(&selector));
    let observed: Option<(f64, String)> = match rule.metric {
        Metric::Quantile(q) => {
            let expr = format!("histogram_quantile({q}, sum by (le) ({}))", window.delta(&latency("bucket")));
            let seconds = prometheus.number(&expr).await?;
            seconds.is_finite().then(|| (seconds, time(seconds)))
        }
        Metric::Average => {
            let total = prometheus.number(&sum(latency("sum"))).await?;
            let count = prometheus.number(&sum(latency("count"))).await?;
            (count > 0.0).then(|| (total / count, time(total / count)))
        }
        Metric::Maximum => {
            let buckets = prometheus.query(&format!("sum by (le) ({})", window.delta(&latency("bucket")))).await?;
            slowest_bound(buckets.iter().map(|s| (s.label("le").parse().unwrap_or(f64::INFINITY), s.value())))
                .map(|bound| (bound, format!("≤ {}", time(bound))))
        }
        Metric::ErrorRate => {
            let all = prometheus.number(&sum(requests(""))).await?;
            let failed = prometheus.number(&sum(requests(",outcome=\"error\""))).await?;
            (all > 0.0).then(|| {
                let percent = 100.0 * failed.max(0.0) / all;
                (percent, format!("{percent:.2}%"))
            })
        }
        Metric::RequestsPerSecond => {
            let held = phases.holding().as_secs_f64();
            let made = prometheus.number(&sum(requests(",phase=\"maintain\""))).await?;
            (held > 0.0 && made.is_finite()).then(|| (made / held, format!("{:.1} from Maintain", made / held)))
        }
    };
    Ok(match observed {
        Some((value, text)) => {
            let reported = if rule.metric.is_latency() { value * 1e3 } else { value };
            Row {
                rule: rule.text.clone(),
                observed: text,
                value: Some(reported),
                passed: rule.operator.passes(value, rule.limit),
            }
        }
        None => Row { rule: rule.text.clone(), observed: "no samples".into(), value: None, passed: false },
    })
}

/// The median time between samples (0 with fewer than two).
fn median_step(points: &[(f64, f64)]) -> f64 {
    let mut steps: Vec<f64> = points.windows(2).map(|w| w[1].0 - w[0].0).collect();
    steps.sort_by(f64::total_cmp);
    steps.get(steps.len() / 2).copied().unwrap_or(0.0)
}

/// The upper bound of the slowest non-empty bucket of cumulative `buckets`
/// (le, count): the most the slowest request can have taken.
fn slowest_bound(buckets: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = buckets.collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    (total > 0.0).then(|| buckets.iter().find(|(_, count)| *count >= total).map_or(f64::INFINITY, |b| b.0))
}

/// A latency as goose's reports write it.
pub fn time(seconds: f64) -> String {
    if seconds.is_infinite() {
        "more than a minute".into()
    } else if seconds < 1e-3 {
        format!("{:.0}us", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1}ms", seconds * 1e3)
    } else {
        format!("{seconds:.2}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window {
            from: chrono::DateTime::from_timestamp(1_000, 0).unwrap(),
            to: chrono::DateTime::from_timestamp(1_100, 0).unwrap(),
        }
    }

    #[test]
    fn a_missing_worker_and_one_that_vanished_are_both_named() {
        let seen = |worker, finished, last_seen, scrape_failing| WorkerSeen {
            worker,
            requests: 1.0,
            finished,
            last_seen,
            interval: 5.0,
            scrape_failing,
        };
        let workers = [seen(0, true, 1_099.0, false), seen(2, false, 1_040.0, false)];
        let found = problems(&workers, 3, &window());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("worker 1 of 3 never reported"), "{found:?}");
        assert!(found[1].starts_with("worker 2 of 3 stopped reporting at 1970-01-01T00:17:20"), "{found:?}");
        // Seen a scrape ago: still running; seen a scrape ago but the next failed: gone.
        assert!(problems(&[seen(0, false, 1_095.0, false)], 1, &window())[0].contains("had not finished"));
        assert!(problems(&[seen(0, false, 1_095.0, true)], 1, &window())[0].contains("stopped reporting"));
        assert!(problems(&[seen(0, true, 1_050.0, false)], 1, &window()).is_empty());
        assert_eq!(seen(0, false, 1_095.0, false).standing(&window()), Standing::Running);
        assert_eq!(seen(0, false, 1_080.0, false).standing(&window()), Standing::Lost);
        assert_eq!(median_step(&[(0.0, 0.0), (1.0, 0.0), (3.0, 0.0), (4.0, 0.0)]), 1.0);
    }

    #[test]
    fn the_slowest_request_is_bounded_by_its_bucket() {
        let buckets = [(0.5, 3.0), (0.1, 1.0), (1.0, 4.0), (f64::INFINITY, 4.0)];
        assert_eq!(slowest_bound(buckets.into_iter()), Some(1.0));
        assert_eq!(slowest_bound([(1.0, 1.0), (f64::INFINITY, 2.0)].into_iter()), Some(f64::INFINITY));
        assert_eq!(slowest_bound([(f64::INFINITY, 0.0)].into_iter()), None);
    }

    #[test]
    fn latencies_read_as_goose_writes_them() {
        assert_eq!(time(0.000_25), "250us");
        assert_eq!(time(0.8124), "812.4ms");
        assert_eq!(time(2.5), "2.50s");
    }
}
