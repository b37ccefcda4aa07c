//! Monkey mode: faults drawn at random from a catalogue, at random times,
//! for a given duration, and reproducible: the same seed draws the same
//! schedule, so a run that found something can be run again as it was.
//!
//! A monkey file is an experiment file with a `[monkey]` table. Its faults
//! are the catalogue (their `at` is not used; `for` is each one's length),
//! and its expectations name catalogue faults: every drawn fault carries
//! the expectations of the fault it was drawn from, so each one still has
//! to show its effect. Invariant hypotheses with `when = ["during",
//! "after"]` are checked throughout and at the end.
//!
//! ```toml
//! [monkey]
//! duration = "5m"               # faults keep coming this long (from t = 0)
//! gap = ["10s", "40s"]          # quiet time before each fault, drawn in this range
//! seed = 7                      # optional; `chaos run --seed` overrides
//! ```

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::experiment::Experiment;

/// The experiment a seed draws from a monkey file: faults one after
/// another, each picked from the catalogue, after a quiet time drawn from
/// `gap`, until the next one would end after `duration`. Fault `k` drawn
/// from catalogue fault "x" is named "x #k", and so are its expectations.
pub fn draw(catalogue: &Experiment, seed: u64) -> Experiment {
    let monkey = catalogue.monkey.as_ref().expect("a monkey file");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut drawn = catalogue.clone();
    drawn.monkey = None;
    drawn.title = format!("{} (seed {seed})", catalogue.title);
    drawn.faults.clear();
    drawn.expectations.clear();
    let mut now = Duration::ZERO;
    for k in 1.. {
        let gap = rng.gen_range(monkey.gap.0..=monkey.gap.1);
        let template = &catalogue.faults[rng.gen_range(0..catalogue.faults.len())];
        let at = now + gap;
        if at + template.duration > monkey.duration {
            break;
        }
        let mut fault = template.clone();
        fault.name = format!("{} #{k}", template.name);
        fault.at = at;
        for expectation in catalogue.expectations.iter().filter(|e| e.fault.as_deref() == Some(&template.name)) {
            let mut expectation = expectation.clone();
            expectation.name = format!("{} #{k}", expectation.name);
            expectation.fault = Some(fault.name.clone());
            drawn.expectations.push(expectation);
        }
        now = fault.end();
        drawn.faults.push(fault);
    }
    // Expectations judged at the end name no fault: kept once.
    drawn.expectations.extend(catalogue.expectations.iter().filter(|e| e.fault.is_none()).cloned());
    drawn
}

/// A seed for a run that was given none (printed, so it can be replayed).
pub fn fresh_seed() -> u64 {
    rand::random::<u32>() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE: &str = r#"
        title = "Monkey"
        question = "Does the shop stay consistent whatever fails?"
        [monkey]
        duration = "10m"
        gap = ["5s", "30s"]
        [[hypothesis]]
        name = "consistent"
        invariants = true
        when = ["during", "after"]
        [[fault]]
        name = "slow"
        at = "0s"
        for = "20s"
        proxy = "orders-payments"
        toxic = { type = "latency", attributes = { latency = 500 } }
        [[fault]]
        name = "down"
        at = "0s"
        for = "15s"
        container = "notifications"
        action = "stop"
        [[expect]]
        name = "slower"
        query = "x"
        above = 1
        check = "eventually"
        fault = "slow"
        [[expect]]
        name = "backlog"
        query = "y"
        above = 1
        check = "eventually"
        fault = "down"
    "#;

    fn catalogue() -> Experiment {
        let experiment: Experiment = toml::from_str(CATALOGUE).unwrap();
        assert_eq!(experiment.problems(), Vec::<String>::new());
        experiment
    }

    fn schedule(experiment: &Experiment) -> Vec<(String, Duration, Duration)> {
        experiment.faults.iter().map(|f| (f.name.clone(), f.at, f.duration)).collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_schedule_and_another_seed_another() {
        let catalogue = catalogue();
        let once = draw(&catalogue, 42);
        assert_eq!(schedule(&once), schedule(&draw(&catalogue, 42)));
        assert_ne!(schedule(&once), schedule(&draw(&catalogue, 43)));
        assert!(once.faults.len() >= 10, "10 minutes of faults of 15-20 s with 5-30 s gaps: {:?}", schedule(&once));
        assert!(once.monkey.is_none() && once.title.ends_with("(seed 42)"));
    }

    #[test]
    fn drawn_faults_follow_one_another_within_the_duration_each_with_its_gap() {
        let drawn = draw(&catalogue(), 7);
        let mut end = Duration::ZERO;
        for fault in &drawn.faults {
            let gap = fault.at - end;
            assert!((Duration::from_secs(5)..=Duration::from_secs(30)).contains(&gap), "{gap:?}");
            end = fault.end();
        }
        assert!(end <= Duration::from_secs(600));
    }

    #[test]
    fn each_drawn_fault_carries_the_expectations_of_its_catalogue_fault_and_the_result_is_a_valid_experiment() {
        let drawn = draw(&catalogue(), 1);
        assert_eq!(drawn.problems(), Vec::<String>::new());
        for fault in &drawn.faults {
            let named: Vec<_> = drawn.expectations.iter().filter(|e| e.fault.as_ref() == Some(&fault.name)).collect();
            assert_eq!(named.len(), 1, "{}", fault.name);
            let expected = if fault.name.starts_with("slow") { "slower" } else { "backlog" };
            assert!(named[0].name.starts_with(expected), "{} → {}", fault.name, named[0].name);
        }
    }
}
