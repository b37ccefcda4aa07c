//! When each open-loop arrival is due. An arrival plan is written like a
//! goose test plan, with requests per second in place of users:
//! `rate,duration;…`, each step moving linearly to its rate over its
//! duration (`40,10s;40,1m;0,5s`: ramp to 40/s, hold a minute, stop).
//!
//! Arrival k is due when the plan's rate, integrated from the start, reaches
//! k + 1: the schedule depends only on the plan, never on how fast the shop
//! answers. Worker i of N takes arrivals i, i + N, i + 2N…, so N workers
//! interleave into exactly the plan's arrivals.

use std::time::Duration;

use anyhow::{Context, bail};

#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalPlan {
    /// (rate per second at the step's end, the step's length in seconds)
    steps: Vec<(f64, f64)>,
    text: String,
}

impl ArrivalPlan {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut steps = Vec::new();
        for step in text.split(';') {
            let (rate, span) =
                step.split_once(',').with_context(|| format!("arrival plan step {step:?}: write rate,duration"))?;
            let rate: f64 = rate.trim().parse().with_context(|| format!("arrival plan step {step:?}: rate"))?;
            let seconds = goose::util::parse_timespan(span.trim())
                .with_context(|| format!("arrival plan step {step:?}: duration such as 30s, 2m or 1h30m"))?;
            if !(rate.is_finite() && rate >= 0.0) {
                bail!("arrival plan step {step:?}: a rate is a number of requests per second, 0 or more");
            }
            steps.push((rate, seconds as f64));
        }
        if steps.iter().all(|&(rate, _)| rate == 0.0) || steps.iter().all(|&(_, s)| s == 0.0) {
            bail!("the arrival plan {text:?} makes no requests");
        }
        Ok(Self { steps, text: text.to_owned() })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps as (level, milliseconds), for the phases of the plan.
    pub fn levels(&self) -> Vec<(f64, u64)> {
        self.steps.iter().map(|&(rate, seconds)| (rate, (seconds * 1_000.0) as u64)).collect()
    }

    pub fn length(&self) -> Duration {
        Duration::from_secs_f64(self.steps.iter().map(|s| s.1).sum())
    }

    /// When arrival `k` (from 0) is due after the start; `None` past the plan.
    pub fn due(&self, k: u64) -> Option<Duration> {
        let mut wanted = k as f64 + 1.0;
        let (mut from_rate, mut start) = (0.0, 0.0);
        for &(to_rate, length) in &self.steps {
            // Arrivals in this step: the area under a straight line.
            let area = (from_rate + to_rate) / 2.0 * length;
            if wanted <= area && length > 0.0 {
                let slope = (to_rate - from_rate) / length;
                // from_rate·t + slope·t²/2 = wanted, the smaller root.
                let t = if slope.abs() < 1e-12 {
                    wanted / from_rate
                } else {
                    (-from_rate + (from_rate * from_rate + 2.0 * slope * wanted).max(0.0).sqrt()) / slope
                };
                return Some(Duration::from_secs_f64(start + t.clamp(0.0, length)));
            }
            wanted -= area;
            from_rate = to_rate;
            start += length;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rate_spaces_arrivals_evenly() {
        let plan = ArrivalPlan::parse("10,0s;10,2s").unwrap();
        let due: Vec<f64> = (0..25).map_while(|k| plan.due(k)).map(|d| d.as_secs_f64()).collect();
        assert_eq!(due.len(), 20, "{due:?}");
        for (k, at) in due.iter().enumerate() {
            assert!((at - (k as f64 + 1.0) / 10.0).abs() < 1e-9, "{k}: {at}");
        }
    }

    #[test]
    fn a_ramp_makes_the_area_under_it_in_arrivals() {
        // 0 → 20/s over 10 s: 100 arrivals, denser towards the end.
        let plan = ArrivalPlan::parse("20,10s").unwrap();
        let due: Vec<Duration> = (0..200).map_while(|k| plan.due(k)).collect();
        assert_eq!(due.len(), 100);
        assert!(due.windows(2).all(|w| w[0] <= w[1]));
        // Half the arrivals come in the last 30 % of the ramp (√0.5 ≈ 0.707).
        assert!((due[49].as_secs_f64() - 10.0 * 0.5f64.sqrt()).abs() < 0.01, "{:?}", due[49]);
        assert_eq!(plan.length(), Duration::from_secs(10));
    }

    #[test]
    fn workers_taking_every_nth_arrival_make_the_plan_between_them() {
        let plan = ArrivalPlan::parse("30,1s;30,3s;0,1s").unwrap();
        let all: Vec<Duration> = (0..).map_while(|k| plan.due(k)).collect();
        let mut merged: Vec<Duration> =
            (0..3u64).flat_map(|i| (i..).step_by(3).map_while(|k| plan.due(k)).collect::<Vec<_>>()).collect();
        merged.sort();
        assert_eq!(merged, all);
        assert_eq!(all.len(), 15 + 90 + 15);
    }

    #[test]
    fn plans_that_make_nothing_or_do_not_read_are_refused() {
        for plan in ["0,10s", "10,0s", "fast,10s", "10", "10,soon", "-5,10s"] {
            assert!(ArrivalPlan::parse(plan).is_err(), "{plan}");
        }
    }
}
