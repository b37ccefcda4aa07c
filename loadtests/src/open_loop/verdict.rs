//! Thresholds on an open-loop run's own requests, exactly (every latency is
//! kept), with the same rules and table as goose's verdict and the judge's.

use crate::judge::rules::{Metric, Rule};
use crate::judge::time;
use crate::plan::{Phase, Phases};
use crate::report::Row;

use super::Done;

pub fn evaluate(rules: &[Rule], requests: &[Done], phases: &Phases) -> Vec<Row> {
    rules.iter().map(|rule| evaluate_one(rule, requests, phases)).collect()
}

fn evaluate_one(rule: &Rule, requests: &[Done], phases: &Phases) -> Row {
    let chosen: Vec<&Done> =
        requests.iter().filter(|r| rule.request.as_deref().is_none_or(|name| r.request() == name)).collect();
    let mut latencies: Vec<f64> = chosen.iter().map(|r| r.latency.as_secs_f64()).collect();
    latencies.sort_by(f64::total_cmp);
    let observed: Option<(f64, String)> = match rule.metric {
        _ if chosen.is_empty() => None,
        Metric::Quantile(q) => {
            let rank = (q * latencies.len() as f64).ceil() as usize;
            let value = latencies[rank.clamp(1, latencies.len()) - 1];
            Some((value, time(value)))
        }
        Metric::Average => {
            let value = latencies.iter().sum::<f64>() / latencies.len() as f64;
            Some((value, time(value)))
        }
        Metric::Maximum => latencies.last().map(|&value| (value, time(value))),
        Metric::ErrorRate => {
            let percent = 100.0 * chosen.iter().filter(|r| !r.success).count() as f64 / chosen.len() as f64;
            Some((percent, format!("{percent:.2}%")))
        }
        Metric::RequestsPerSecond => {
            let held = phases.holding().as_secs_f64();
            // As the live metrics count them: in the phase where they ended.
            let made = chosen.iter().filter(|r| phases.at(r.due + r.latency) == Phase::Maintain).count() as f64;
            (held > 0.0).then(|| (made / held, format!("{:.1} from Maintain", made / held)))
        }
    };
    match observed {
        Some((value, text)) => Row {
            rule: rule.text.clone(),
            observed: text,
            value: Some(if rule.metric.is_latency() { value * 1e3 } else { value }),
            passed: rule.operator.passes(value, rule.limit),
        },
        None => Row { rule: rule.text.clone(), observed: "no samples".into(), value: None, passed: false },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn done(name: &'static str, millis: u64, success: bool, due: u64) -> Done {
        Done {
            name,
            status: if success { 200 } else { 503 },
            success,
            due: Duration::from_millis(due),
            latency: Duration::from_millis(millis),
        }
    }

    #[test]
    fn rules_are_judged_on_every_request_exactly() {
        let mut requests: Vec<Done> = (1..=100).map(|ms| done("browse: search", ms, true, 1_500)).collect();
        requests.push(done("browse: list products", 5_000, false, 1_500));
        let phases = Phases::of_levels([(10.0, 1_000), (10.0, 9_000), (0.0, 1_000)]);
        let rules: Vec<Rule> =
            ["p95<96ms for GET browse: search", "max<1s", "error-rate<1%", "rps>=11", "avg<1s for GET nothing"]
                .iter()
                .map(|r| Rule::parse(r).unwrap())
                .collect();
        let rows = evaluate(&rules, &requests, &phases);
        assert_eq!((rows[0].observed.as_str(), rows[0].passed), ("95.0ms", true), "{rows:?}");
        assert_eq!((rows[1].observed.as_str(), rows[1].passed), ("5.00s", false));
        assert_eq!((rows[2].observed.as_str(), rows[2].passed), ("0.99%", true));
        assert_eq!((rows[3].value, rows[3].passed), (Some(101.0 / 9.0), true));
        assert_eq!((rows[4].observed.as_str(), rows[4].passed), ("no samples", false));
    }
}
