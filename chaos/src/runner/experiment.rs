//! An experiment file (`experiments/*.toml`), parsed and checked before
//! anything runs: a typo in a fault's name fails here, not halfway through
//! a run with faults in place.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::durations::{human, human_opt, human_pair};

/// A whole experiment. Times in the timeline count from the end of the
/// warm-up (t = 0 is when the steady state was confirmed).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub title: String,
    /// The question the experiment answers.
    pub question: String,
    /// Load runs this long before the steady state is checked.
    #[serde(default = "default_warmup", with = "human")]
    pub warmup: Duration,
    /// How long the runner watches after the last fault ended.
    #[serde(default = "default_cooldown", with = "human")]
    pub cooldown: Duration,
    /// How often probes are sampled.
    #[serde(default = "default_interval", with = "human")]
    pub interval: Duration,
    pub load: Option<Load>,
    #[serde(default, rename = "hypothesis")]
    pub hypotheses: Vec<Probe>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<Fault>,
    #[serde(default, rename = "expect")]
    pub expectations: Vec<Expectation>,
    /// Series drawn in the report, besides the defaults.
    #[serde(default, rename = "plot")]
    pub plots: Vec<Plot>,
    /// Monkey mode: the faults are a catalogue to draw from (`monkey.rs`).
    pub monkey: Option<Monkey>,
}

fn default_warmup() -> Duration {
    Duration::from_secs(20)
}
fn default_cooldown() -> Duration {
    Duration::from_secs(20)
}
fn default_interval() -> Duration {
    Duration::from_secs(2)
}

/// The traffic during the experiment: a profile of `shop-load`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    pub profile: String,
    /// Goose scenarios to run (comma-separated machine names), all by default.
    pub scenarios: Option<String>,
    /// Users, instead of the profile's plan (the run lasts as long as the experiment).
    pub users: Option<u32>,
    /// More `shop-load` flags.
    #[serde(default)]
    pub args: Vec<String>,
}

/// When a steady-state probe is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Once, at the end of the warm-up.
    Before,
    /// At every sample while a fault is in place.
    During,
    /// Once, at the end of the cool-down.
    After,
}

/// A check: a PromQL expression against a threshold, or the order-flow
/// invariant checker.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub name: String,
    /// PromQL; an instant vector of one series, or several (then the worst
    /// one counts: the highest for `below`, the lowest for `above`).
    pub query: Option<String>,
    /// Holds when the value is below this.
    pub below: Option<f64>,
    /// Holds when the value is above this.
    pub above: Option<f64>,
    /// The value of an empty result (e.g. 0 for "no errors yet"); by
    /// default an empty result fails the check.
    pub empty: Option<f64>,
    /// Run the invariant checker instead of a query.
    #[serde(default)]
    pub invariants: bool,
    #[serde(default = "every_phase")]
    pub when: Vec<Phase>,
}

fn every_phase() -> Vec<Phase> {
    vec![Phase::Before, Phase::During, Phase::After]
}

/// The `[monkey]` table of a monkey file: its faults are a catalogue to
/// draw a schedule from (`monkey::draw`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Monkey {
    #[serde(with = "human")]
    pub duration: Duration,
    /// The shortest and the longest quiet time before a fault.
    #[serde(with = "human_pair")]
    pub gap: (Duration, Duration),
    pub seed: Option<u64>,
}

impl Monkey {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.duration.is_zero() {
            problems.push("monkey: `duration` must be longer than 0".into());
        }
        if self.gap.0 > self.gap.1 {
            problems.push("monkey: `gap` is [shortest, longest]".into());
        }
        problems
    }
}

/// One fault on the timeline.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub name: String,
    /// When it starts, from t = 0.
    #[serde(with = "human")]
    pub at: Duration,
    /// How long it stays.
    #[serde(rename = "for", with = "human")]
    pub duration: Duration,
    /// A proxy of chaos-proxy: the toxic goes on it, or (with `action =
    /// "disable"`) it is taken down.
    pub proxy: Option<String>,
    pub toxic: Option<ToxicSpec>,
    /// A compose service: `action` is `stop` or `kill` (started again when
    /// the fault ends), `partition` (cut off from its networks, connected
    /// again) or `squeeze` (limited to `cpus` CPUs, given back its limit).
    pub container: Option<String>,
    pub action: Option<Action>,
    /// For `squeeze`: the CPUs the container keeps, e.g. 0.1.
    pub cpus: Option<f64>,
    /// Extra load through the gateway for the window (a second `shop-load`
    /// beside the experiment's own): an overload, a flash sale.
    pub surge: Option<Load>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A proxy stops accepting connections and closes the open ones.
    Disable,
    /// `docker stop`: SIGTERM, then SIGKILL after the grace period.
    Stop,
    /// `docker kill`: SIGKILL, no goodbye.
    Kill,
    /// `docker network disconnect` from every network: a partition that
    /// does not go through the proxy.
    Partition,
    /// `docker update --cpus`: the container keeps `cpus` CPUs.
    Squeeze,
}

/// A toxic, in the control API's own shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToxicSpec {
    #[serde(rename = "type")]
    pub kind: String,
    pub stream: Option<String>,
    pub toxicity: Option<f64>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// What must be seen, relative to a fault.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub name: String,
    pub query: Option<String>,
    pub below: Option<f64>,
    pub above: Option<f64>,
    pub empty: Option<f64>,
    #[serde(default)]
    pub invariants: bool,
    pub check: Check,
    /// The fault whose window the check looks at (not for `at_end`).
    pub fault: Option<String>,
    /// `eventually`: how long after the fault started (default: its duration).
    #[serde(default, with = "human_opt")]
    pub within: Option<Duration>,
    /// `always`: how much of the window's start to skip while rates adapt.
    #[serde(default, with = "human_opt")]
    pub settle: Option<Duration>,
}

/// A PromQL threshold, or the invariant checker.
#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub query: Option<String>,
    pub below: Option<f64>,
    pub above: Option<f64>,
    pub empty: Option<f64>,
    pub invariants: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Holds at one sample at least, within the window.
    Eventually,
    /// Holds at every sample of the window.
    Always,
    /// Holds once, at the end of the cool-down.
    AtEnd,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plot {
    pub title: String,
    pub query: String,
    #[serde(default)]
    pub unit: String,
}

/// `Probe` and `Expectation` repeat `Threshold`'s fields instead of
/// holding one with `#[serde(flatten)]` because serde cannot combine
/// `flatten` with `deny_unknown_fields`, and a misspelt key in an experiment
/// file (`bellow = 0.05`) must be refused, not read as a check with no bound.
/// The copy is made in one place, here.
macro_rules! threshold_of_its_fields {
    ($($check:ty),*) => {$(
        impl $check {
            pub fn threshold(&self) -> Threshold {
                Threshold {
                    query: self.query.clone(),
                    below: self.below,
                    above: self.above,
                    empty: self.empty,
                    invariants: self.invariants,
                }
            }
        }
    )*};
}

threshold_of_its_fields!(Probe, Expectation);

impl Threshold {
    fn problems(&self, what: &str) -> Vec<String> {
        let mut problems = Vec::new();
        match (&self.query, self.invariants) {
            (Some(_), true) => problems.push(format!("{what}: either `query` or `invariants`, not both")),
            (None, false) => problems.push(format!("{what}: needs a `query` or `invariants = true`")),
            (Some(_), false) if self.below.is_none() && self.above.is_none() => {
                problems.push(format!("{what}: a query needs `below` or `above`"))
            }
            _ => {}
        }
        problems
    }

    /// Whether `value` passes.
    pub fn holds(&self, value: f64) -> bool {
        self.below.is_none_or(|b| value < b) && self.above.is_none_or(|a| value > a)
    }

    /// What "holds" means, for the report.
    pub fn describe(&self) -> String {
        if self.invariants {
            return "the invariant checker finds no violation".into();
        }
        let query = self.query.as_deref().unwrap_or_default();
        match (self.below, self.above) {
            (Some(b), Some(a)) => format!("{a} < {query} < {b}"),
            (Some(b), None) => format!("{query} < {b}"),
            (None, Some(a)) => format!("{query} > {a}"),
            (None, None) => query.to_owned(),
        }
    }
}

impl Fault {
    /// What the fault acts on, for logs and the report.
    pub fn target(&self) -> String {
        match (&self.proxy, &self.container) {
            (Some(proxy), _) => format!("proxy {proxy}"),
            (_, Some(container)) => format!("container {container}"),
            _ if self.surge.is_some() => "gateway".into(),
            _ => "nothing".into(),
        }
    }

    pub fn end(&self) -> Duration {
        self.at + self.duration
    }
}

impl Experiment {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let experiment: Experiment = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let problems = experiment.problems();
        if !problems.is_empty() {
            anyhow::bail!("{}:\n  {}", path.display(), problems.join("\n  "));
        }
        Ok(experiment)
    }

    /// Everything wrong with the experiment, in one go.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.faults.is_empty() {
            problems.push("no [[fault]]: an experiment injects at least one".into());
        }
        if let Some(monkey) = &self.monkey {
            problems.extend(monkey.problems());
        }
        if self.expectations.is_empty() {
            problems.push("no [[expect]]: an experiment says what its faults must change".into());
        }
        let mut names = BTreeSet::new();
        for fault in &self.faults {
            let what = format!("fault {:?}", fault.name);
            if !names.insert(fault.name.as_str()) {
                problems.push(format!("{what}: the name is used twice"));
            }
            if fault.duration.is_zero() {
                problems.push(format!("{what}: `for` must be longer than 0"));
            }
            match (&fault.proxy, &fault.toxic, &fault.container, fault.action, &fault.surge) {
                (Some(_), Some(_), None, None, None) | (Some(_), None, None, Some(Action::Disable), None) => {}
                (None, None, Some(_), Some(Action::Stop | Action::Kill | Action::Partition | Action::Squeeze), None) => {}
                (None, None, None, None, Some(_)) => {}
                _ => problems.push(format!(
                    "{what}: give `proxy` with a `toxic`, `proxy` with `action = \"disable\"`, `container` with `action = \"stop\"`, \"kill\", \"partition\" or \"squeeze\", or a `surge` of load"
                )),
            }
            match (fault.action, fault.cpus) {
                (Some(Action::Squeeze), Some(cpus)) if cpus > 0.0 && cpus.is_finite() => {}
                (Some(Action::Squeeze), _) => problems.push(format!("{what}: `squeeze` needs `cpus`, above 0")),
                (_, Some(_)) => problems.push(format!("{what}: `cpus` is for `action = \"squeeze\"` only")),
                _ => {}
            }
            if let Some(toxic) = &fault.toxic
                && crate::proxy::model::default_attributes(&toxic.kind).is_none()
            {
                problems.push(format!("{what}: unknown toxic type {:?}", toxic.kind));
            }
        }
        let mut affected = BTreeSet::new();
        for expectation in &self.expectations {
            let what = format!("expectation {:?}", expectation.name);
            problems.extend(expectation.threshold().problems(&what));
            match (&expectation.fault, expectation.check) {
                (None, Check::Eventually | Check::Always) => problems
                    .push(format!("{what}: `eventually` and `always` look at a fault's window: name the `fault`")),
                (Some(fault), _) if !names.contains(fault.as_str()) => {
                    problems.push(format!("{what}: no fault named {fault:?}"))
                }
                (Some(fault), _) => {
                    affected.insert(fault.as_str());
                }
                _ => {}
            }
        }
        for fault in &self.faults {
            if !affected.contains(fault.name.as_str()) {
                problems.push(format!(
                    "fault {:?}: no expectation names it; say what it must change (a fault that changes nothing proves nothing)",
                    fault.name
                ));
            }
        }
        for probe in &self.hypotheses {
            problems.extend(probe.threshold().problems(&format!("hypothesis {:?}", probe.name)));
            if probe.when.is_empty() {
                problems.push(format!("hypothesis {:?}: `when` is empty", probe.name));
            }
        }
        if self.interval.is_zero() {
            problems.push("`interval` must be longer than 0".into());
        }
        problems
    }

    /// When the last fault ends, from t = 0.
    pub fn faults_end(&self) -> Duration {
        self.faults.iter().map(Fault::end).max().unwrap_or_default()
    }

    /// The whole run after the warm-up.
    pub fn run_time(&self) -> Duration {
        self.faults_end() + self.cooldown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYMENTS_SLOW: &str = r#"
        title = "Payments slow"
        question = "Does the breaker open?"
        warmup = "5s"
        [[hypothesis]]
        name = "checkouts mostly succeed"
        query = "sum(rate(x[30s]))"
        below = 0.05
        empty = 0
        when = ["before", "after"]
        [[fault]]
        name = "slow"
        at = "0s"
        for = "30s"
        proxy = "orders-payments"
        toxic = { type = "latency", attributes = { latency = 3000 } }
        [[expect]]
        name = "breaker opens"
        query = "max(resilience_breaker_state)"
        above = 1.5
        check = "eventually"
        fault = "slow"
        within = "15s"
    "#;

    #[test]
    fn an_experiment_parses_with_its_defaults() {
        let experiment: Experiment = toml::from_str(PAYMENTS_SLOW).unwrap();
        assert!(experiment.problems().is_empty(), "{:?}", experiment.problems());
        assert_eq!(experiment.warmup, Duration::from_secs(5));
        assert_eq!(experiment.cooldown, Duration::from_secs(20));
        assert_eq!(experiment.run_time(), Duration::from_secs(50));
        assert_eq!(experiment.expectations[0].within, Some(Duration::from_secs(15)));
        assert_eq!(experiment.hypotheses[0].when, [Phase::Before, Phase::After]);
    }

    #[test]
    fn a_fault_no_expectation_names_is_refused() {
        let text = PAYMENTS_SLOW.replace("fault = \"slow\"", "fault = \"typo\"");
        let experiment: Experiment = toml::from_str(&text).unwrap();
        let problems = experiment.problems().join("\n");
        assert!(problems.contains("no fault named \"typo\""), "{problems}");
        assert!(problems.contains("fault \"slow\": no expectation names it"), "{problems}");
    }

    #[test]
    fn unknown_fields_and_toxics_are_refused() {
        assert!(toml::from_str::<Experiment>(&format!("{PAYMENTS_SLOW}\nbogus = 1")).is_err());
        let text = PAYMENTS_SLOW.replace("type = \"latency\"", "type = \"latencyy\"");
        let experiment: Experiment = toml::from_str(&text).unwrap();
        assert!(experiment.problems().join("\n").contains("unknown toxic type"));
    }
}
