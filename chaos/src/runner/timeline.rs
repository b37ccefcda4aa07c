//! One run of one experiment, from the warm-up to the clean-up.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::time::{Instant, sleep_until};

use super::Settings;
use super::checks::{Checker, Evaluation};
use super::durations::format_duration;
use super::experiment::{Action, Check, Experiment, Fault, Phase};
use super::faults::{self, Faults};
use super::load::{self, LoadRun};
use super::prometheus::Prometheus;
use super::report::{self, CheckRecord, FaultRecord, Live, LoadRecord, Outcome, Report, Sample};

/// One fault of the run: what it is, how far it got, what it did.
struct FaultRun<'a> {
    fault: &'a Fault,
    started: Option<Instant>,
    ended: Option<Instant>,
    /// The proxy's injected-faults counter for this toxic when it began.
    baseline: f64,
    /// The surge load of a `surge` fault while it runs.
    surge: Option<LoadRun>,
    /// What the report says of it.
    record: FaultRecord,
}

impl<'a> FaultRun<'a> {
    fn new(fault: &'a Fault) -> Self {
        let record = FaultRecord {
            name: fault.name.clone(),
            target: fault.target(),
            what: describe_fault(fault),
            started_s: None,
            ended_s: None,
            effect: "not started".into(),
            acted: false,
        };
        Self { fault, started: None, ended: None, baseline: 0.0, surge: None, record }
    }

    fn is_active(&self) -> bool {
        self.started.is_some() && self.ended.is_none()
    }
}

pub struct Run<'a> {
    experiment: &'a Experiment,
    file: &'a str,
    settings: &'a Settings,
    dir: &'a Path,
    checker: Checker,
    faults: Faults,
    started: Instant,
    started_at: DateTime<Utc>,
    t0: Option<Instant>,
    /// The experiment's faults, in its order.
    faults_run: Vec<FaultRun<'a>>,
    hypotheses: Vec<CheckRecord>,
    expectations: Vec<CheckRecord>,
    reasons: Vec<String>,
    load: Option<LoadRun>,
    load_record: Option<LoadRecord>,
    /// Where the run's progress goes as it happens (the desk's live view).
    observer: Option<&'a tokio::sync::watch::Sender<Live>>,
}

impl<'a> Run<'a> {
    pub fn new(experiment: &'a Experiment, file: &'a str, settings: &'a Settings, dir: &'a Path) -> Self {
        let mut hypotheses = Vec::new();
        for phase in [Phase::Before, Phase::During, Phase::After] {
            for probe in experiment.hypotheses.iter().filter(|p| p.when.contains(&phase)) {
                hypotheses.push(CheckRecord {
                    name: probe.name.clone(),
                    kind: format!("{phase:?}").to_lowercase(),
                    condition: probe.threshold().describe(),
                    fault: None,
                    passed: false,
                    samples: Vec::new(),
                });
            }
        }
        let expectations = experiment
            .expectations
            .iter()
            .map(|e| CheckRecord {
                name: e.name.clone(),
                kind: match e.check {
                    Check::Eventually => "eventually",
                    Check::Always => "always",
                    Check::AtEnd => "at_end",
                }
                .into(),
                condition: e.threshold().describe(),
                fault: e.fault.clone(),
                passed: false,
                samples: Vec::new(),
            })
            .collect();
        Self {
            experiment,
            file,
            settings,
            dir,
            checker: Checker {
                prometheus: Prometheus::new(&settings.prometheus),
                invariants: settings.invariants.clone(),
            },
            faults: match &settings.kubernetes_namespace {
                Some(namespace) => Faults::new(&settings.proxy_api, &settings.compose_project).on_kubernetes(namespace),
                None => Faults::new(&settings.proxy_api, &settings.compose_project),
            },
            started: Instant::now(),
            started_at: Utc::now(),
            t0: None,
            faults_run: experiment.faults.iter().map(FaultRun::new).collect(),
            hypotheses,
            expectations,
            reasons: Vec::new(),
            load: None,
            load_record: None,
            observer: None,
        }
    }

    /// Publishes every step of the run to `observer` as it happens.
    pub fn observed_by(mut self, observer: &'a tokio::sync::watch::Sender<Live>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sends the run as it stands now to the observer, if any.
    fn publish(&self, stage: Option<&str>) {
        let Some(observer) = self.observer else { return };
        observer.send_modify(|live| {
            live.elapsed_s = self.now_s();
            live.timeline_origin_s = self.t0.map(|t0| self.at_s(t0));
            if let Some(stage) = stage {
                live.stage = stage.to_owned();
            }
            live.faults = self.faults_run.iter().map(|run| run.record.clone()).collect();
            live.hypotheses.clone_from(&self.hypotheses);
            live.expectations.clone_from(&self.expectations);
        });
    }

    fn progress(&self, message: impl AsRef<str>) {
        if self.settings.progress {
            eprintln!("[{:>6.1}s] {}", self.started.elapsed().as_secs_f64(), message.as_ref());
        }
        self.publish(Some(message.as_ref()));
    }

    fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn at_s(&self, instant: Instant) -> f64 {
        instant.duration_since(self.started).as_secs_f64()
    }

    pub async fn execute(mut self, interrupt: impl Future<Output = ()>) -> Report {
        self.progress(format!("{} — {}", self.experiment.title, self.experiment.question));
        let result = tokio::select! {
            result = self.body() => Some(result),
            () = interrupt => None,
        };
        let mut outcome = match result {
            Some(Ok(())) => None,
            Some(Err(error)) => {
                self.progress(format!("error: {error:#}"));
                self.reasons.push(format!("{error:#}"));
                Some(Outcome::Error)
            }
            None => {
                self.progress("interrupted: removing the faults");
                self.reasons.push("interrupted before the end: nothing concluded".into());
                Some(Outcome::Aborted)
            }
        };

        // Whatever happened: no fault stays behind, no load keeps running.
        let cleanup = self.faults.remove_all().await;
        for line in &cleanup {
            self.progress(format!("clean-up: {line}"));
            if line.contains("NOT undone") {
                self.reasons.push(format!("clean-up failed: {line}"));
                outcome = Some(Outcome::Error);
            }
        }
        let now = Instant::now();
        for run in &mut self.faults_run {
            if run.is_active() {
                run.ended = Some(now);
                run.record.ended_s = Some(now.duration_since(self.started).as_secs_f64());
            }
            if let Some(surge) = run.surge.take() {
                surge.stop().await;
            }
        }
        if let Some(load) = self.load.take() {
            let code = load.stop().await;
            if let Some(record) = &mut self.load_record {
                record.exit_code = code;
            }
        }
        self.judge();
        self.publish(Some("finished"));
        let outcome = outcome.unwrap_or(if self.reasons.is_empty() { Outcome::Passed } else { Outcome::Failed });
        let plots = report::plots(&self.checker.prometheus, self.experiment, self.started_at).await;
        let report = Report {
            title: self.experiment.title.clone(),
            question: self.experiment.question.clone(),
            file: self.file.to_owned(),
            started_at: self.started_at.to_rfc3339(),
            finished_at: Utc::now().to_rfc3339(),
            outcome,
            reasons: self.reasons,
            timeline_origin_s: self.t0.map_or(0.0, |t0| t0.duration_since(self.started).as_secs_f64()),
            faults: self.faults_run.into_iter().map(|run| run.record).collect(),
            hypotheses: self.hypotheses,
            expectations: self.expectations,
            load: self.load_record,
            plots,
            cleanup,
        };
        if self.settings.progress {
            eprint!("{}", report.summary());
        }
        report
    }

    async fn body(&mut self) -> anyhow::Result<()> {
        let experiment = self.experiment;
        self.faults.check_targets(&experiment.faults).await?;
        self.checker.prometheus.values("vector(1)").await.context("Prometheus must answer")?;
        if let Some(spec) = experiment.load.as_ref().filter(|_| !self.settings.no_load) {
            let total = experiment.warmup + experiment.run_time();
            let args = load::arguments(spec, &self.settings.gateway, total);
            let log = self.dir.join("load.log");
            let run = LoadRun::start(&self.settings.load_binary, &args, log.clone())?;
            self.progress(format!("load: {}", run.command));
            self.load_record =
                Some(LoadRecord { command: run.command.clone(), log: log.display().to_string(), exit_code: None });
            self.load = Some(run);
        }
        self.progress(format!("warming up for {}", format_duration(experiment.warmup)));
        self.wait(Instant::now() + experiment.warmup).await?;

        if !self.check_phase(Phase::Before).await {
            self.reasons.push("the steady state did not hold before any fault, so none was injected".into());
            return Ok(());
        }
        let t0 = Instant::now();
        self.t0 = Some(t0);
        self.progress("steady state confirmed: t = 0");
        let end = t0 + experiment.run_time();
        loop {
            let now = Instant::now();
            for i in 0..self.faults_run.len() {
                let fault = self.faults_run[i].fault;
                if self.faults_run[i].started.is_none() && t0 + fault.at <= now {
                    self.start_fault(i).await?;
                }
                if self.faults_run[i].is_active() && t0 + fault.end() <= now {
                    self.end_fault(i).await?;
                }
            }
            self.sample().await;
            if Instant::now() >= end {
                break;
            }
            self.wait(self.next_wake(t0, end)).await?;
        }
        self.progress("cool-down over: final checks");
        self.check_at_end().await;
        self.check_phase(Phase::After).await;
        Ok(())
    }

    /// The next sample time or fault event, whichever comes first.
    fn next_wake(&self, t0: Instant, end: Instant) -> Instant {
        let mut next = (Instant::now() + self.experiment.interval).min(end);
        for run in &self.faults_run {
            if run.started.is_none() {
                next = next.min(t0 + run.fault.at);
            } else if run.ended.is_none() {
                next = next.min(t0 + run.fault.end());
            }
        }
        next.max(Instant::now())
    }

    /// Sleeps until `deadline`, failing if the load dies meanwhile.
    async fn wait(&mut self, deadline: Instant) -> anyhow::Result<()> {
        while Instant::now() < deadline {
            sleep_until(deadline.min(Instant::now() + Duration::from_secs(1))).await;
            if let Some(code) = self.load.as_mut().and_then(LoadRun::exited) {
                if let Some(record) = &mut self.load_record {
                    record.exit_code = Some(code);
                }
                self.load = None;
                anyhow::bail!("the load stopped early (exit code {code}); see its log in {}", self.dir.display());
            }
        }
        Ok(())
    }

    async fn start_fault(&mut self, i: usize) -> anyhow::Result<()> {
        let fault = self.faults_run[i].fault;
        let baseline = self.faults.injected(fault).await.unwrap_or(0.0);
        self.progress(format!(
            "fault {:?} on: {} on {} for {}",
            fault.name,
            describe_fault(fault),
            fault.target(),
            format_duration(fault.duration)
        ));
        let now = Instant::now();
        let started_s = self.at_s(now);
        let surge = match &fault.surge {
            Some(surge) => {
                let args = load::surge_arguments(surge, &self.settings.gateway, fault.duration);
                let log = self.dir.join(format!("surge-{}.log", faults::toxic_name(fault)));
                let surge = LoadRun::start(&self.settings.load_binary, &args, log)?;
                self.progress(format!("surge: {}", surge.command));
                Some(surge)
            }
            None => None,
        };
        let run = &mut self.faults_run[i];
        (run.baseline, run.started, run.surge) = (baseline, Some(now), surge);
        run.record.started_s = Some(started_s);
        run.record.effect = "in place".into();
        self.faults.apply(fault).await.with_context(|| format!("putting fault {:?} in place", fault.name))?;
        // Taking something down is its own effect: check it is down.
        let effect = match (&fault.container, &fault.proxy, fault.toxic.is_some()) {
            (Some(_), _, _) => Some(self.faults.container_effect(fault).await?),
            (_, Some(proxy), false) => {
                let enabled = self.faults.proxy_enabled(proxy).await?;
                let effect =
                    if enabled { format!("{proxy} still accepting") } else { format!("{proxy} refusing connections") };
                Some((!enabled, effect))
            }
            _ => None,
        };
        if let Some((acted, effect)) = effect {
            let record = &mut self.faults_run[i].record;
            (record.acted, record.effect) = (acted, effect);
        }
        Ok(())
    }

    async fn end_fault(&mut self, i: usize) -> anyhow::Result<()> {
        let fault = self.faults_run[i].fault;
        if fault.toxic.is_some() {
            let injected = self.faults.injected(fault).await.unwrap_or(0.0) - self.faults_run[i].baseline;
            let record = &mut self.faults_run[i].record;
            (record.acted, record.effect) = (injected > 0.0, format!("{injected:.0} faults injected"));
        }
        if let Some(mut surge) = self.faults_run[i].surge.take() {
            // A surge that gave up early (no gateway, a crash) pushed nothing.
            let early = surge.exited();
            let record = &mut self.faults_run[i].record;
            record.acted = early.is_none();
            record.effect = match early {
                None => "surge load ran for the whole window".into(),
                Some(code) => format!("surge load exited early (code {code})"),
            };
            surge.stop().await;
        }
        self.faults.remove(&fault.name).await.with_context(|| format!("removing fault {:?}", fault.name))?;
        let now = Instant::now();
        let ended_s = self.at_s(now);
        let run = &mut self.faults_run[i];
        run.ended = Some(now);
        run.record.ended_s = Some(ended_s);
        self.progress(format!("fault {:?} off ({})", fault.name, self.faults_run[i].record.effect));
        Ok(())
    }

    fn fault_run(&self, name: &str) -> Option<&FaultRun<'a>> {
        self.faults_run.iter().find(|run| run.fault.name == name)
    }

    /// Samples the expectations whose window is open, and the `during`
    /// hypotheses while any fault is in place.
    async fn sample(&mut self) {
        let now = Instant::now();
        for (e, expectation) in self.experiment.expectations.iter().enumerate() {
            let Some(run) = expectation.fault.as_deref().and_then(|f| self.fault_run(f)) else { continue };
            let Some(started) = run.started else { continue };
            let from = started + expectation.settle.unwrap_or_default();
            let until = match expectation.check {
                Check::Eventually => started + expectation.within.unwrap_or(run.fault.duration),
                Check::Always => run.ended.unwrap_or(started + run.fault.duration),
                Check::AtEnd => continue,
            };
            let already_seen =
                expectation.check == Check::Eventually && self.expectations[e].samples.iter().any(|s| s.holds);
            if now < from || now > until || already_seen {
                continue;
            }
            let evaluation = self.checker.evaluate(&expectation.threshold()).await;
            if expectation.check == Check::Eventually && evaluation.holds {
                self.progress(format!("seen: {}", expectation.name));
            }
            if expectation.check == Check::Always && !evaluation.holds {
                self.progress(format!("broken: {} ({})", expectation.name, show(&evaluation)));
            }
            let sample = self.sample_of(evaluation);
            self.expectations[e].samples.push(sample);
        }
        let any_active = self.faults_run.iter().any(FaultRun::is_active);
        if any_active {
            self.check_phase(Phase::During).await;
        }
        self.publish(None);
    }

    /// Evaluates the hypotheses of `phase`; true when all hold.
    async fn check_phase(&mut self, phase: Phase) -> bool {
        let kind = format!("{phase:?}").to_lowercase();
        let mut all = true;
        for probe in self.experiment.hypotheses.iter().filter(|p| p.when.contains(&phase)) {
            let evaluation = self.checker.evaluate(&probe.threshold()).await;
            if phase != Phase::During || !evaluation.holds {
                self.progress(format!(
                    "hypothesis ({kind}) {}: {} ({})",
                    probe.name,
                    if evaluation.holds { "holds" } else { "DOES NOT HOLD" },
                    show(&evaluation)
                ));
            }
            all &= evaluation.holds;
            let sample = self.sample_of(evaluation);
            if let Some(record) = self.hypotheses.iter_mut().find(|r| r.name == probe.name && r.kind == kind) {
                record.samples.push(sample);
            }
        }
        self.publish(None);
        all
    }

    async fn check_at_end(&mut self) {
        for (e, expectation) in self.experiment.expectations.iter().enumerate() {
            if expectation.check == Check::AtEnd {
                let evaluation = self.checker.evaluate(&expectation.threshold()).await;
                self.progress(format!(
                    "at end: {}: {} ({})",
                    expectation.name,
                    if evaluation.holds { "holds" } else { "DOES NOT HOLD" },
                    show(&evaluation)
                ));
                let sample = self.sample_of(evaluation);
                self.expectations[e].samples.push(sample);
            }
        }
        self.publish(None);
    }

    fn sample_of(&self, evaluation: Evaluation) -> Sample {
        Sample { t: self.now_s(), value: evaluation.value, holds: evaluation.holds, note: evaluation.note }
    }

    /// Decides each check, and says why the experiment failed.
    fn judge(&mut self) {
        for record in &mut self.hypotheses {
            record.passed = !record.samples.is_empty() && record.samples.iter().all(|s| s.holds);
        }
        for record in &mut self.expectations {
            record.passed = match record.kind.as_str() {
                "eventually" => record.samples.iter().any(|s| s.holds),
                _ => !record.samples.is_empty() && record.samples.iter().all(|s| s.holds),
            };
        }
        if self.t0.is_none() {
            return; // never got to the faults; the reason is already given
        }
        for record in &self.hypotheses {
            if !record.samples.is_empty() && !record.passed {
                self.reasons.push(format!("hypothesis {:?} did not hold ({})", record.name, record.kind));
            }
        }
        for record in &self.expectations {
            if !record.passed {
                let why = if record.samples.is_empty() { "never checked" } else { "not seen" };
                self.reasons.push(format!("expected {:?}: {why}", record.name));
            }
        }
        for run in &self.faults_run {
            if run.ended.is_some() && !run.record.acted {
                self.reasons.push(format!("fault {:?} acted on nothing ({})", run.record.name, run.record.effect));
            }
        }
    }
}

fn show(evaluation: &Evaluation) -> String {
    match evaluation.value {
        Some(value) => format!("{value:.4}"),
        None => evaluation.note.clone(),
    }
}

fn describe_fault(fault: &Fault) -> String {
    match (&fault.toxic, fault.action) {
        (Some(toxic), _) => {
            let mut text = toxic.kind.clone();
            if let Some(stream) = &toxic.stream {
                text.push_str(&format!(" {stream}"));
            }
            if let Some(toxicity) = toxic.toxicity {
                text.push_str(&format!(" toxicity {toxicity}"));
            }
            if !toxic.attributes.is_empty() {
                text.push_str(&format!(" {}", serde_json::Value::Object(toxic.attributes.clone())));
            }
            text
        }
        (None, Some(Action::Squeeze)) => format!("squeeze to {} CPUs", fault.cpus.unwrap_or_default()),
        (None, Some(action)) => format!("{action:?}").to_lowercase(),
        (None, None) if fault.surge.is_some() => {
            let surge = fault.surge.as_ref().expect("checked");
            format!("surge: profile {} with {} users", surge.profile, surge.users.unwrap_or(50))
        }
        (None, None) => "nothing".into(),
    }
}
