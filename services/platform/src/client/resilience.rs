//! Per-dependency resilience settings and what they are visible as.
//!
//! Every setting is read as `<DEP>_<NAME>` (e.g. `PAYMENTS_BREAKER_OPEN_MS`);
//! the defaults are chosen for calls between services on one network:
//! answers in milliseconds, so a second is already slow.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::breaker::{BreakerSettings, BreakerState};
use crate::config::Env;

#[derive(Debug, Clone)]
pub struct ResilienceSettings {
    /// One attempt may take this long (`ATTEMPT_TIMEOUT_MS`; by default the
    /// whole call's `TIMEOUT_MS`, so that nothing is cut short unless asked;
    /// set it lower to retry an attempt that hangs on another instance).
    pub attempt_timeout: Duration,
    /// Attempts after the first (`RETRIES`, default 2). Only for requests that
    /// are safe to repeat: idempotent methods, an `Idempotency-Key`, or a
    /// connection that was refused (the request never left).
    pub retries: u32,
    /// Backoff before retry n: a random delay in [0, min(base·2ⁿ, max)]
    /// ("full jitter"), `RETRY_BACKOFF_MS` (default 50) and `RETRY_BACKOFF_MAX_MS` (1000).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Retries may add at most this fraction of the requests on top
    /// (`RETRY_BUDGET_PERCENT`, default 20), plus `RETRY_BUDGET_MIN_PER_SEC`
    /// (default 5): during an outage, retries cannot multiply the load.
    pub retry_budget_percent: f32,
    pub retry_budget_min_per_sec: u32,
    /// The breaker opens when, over the calls of the last `BREAKER_WINDOW_MS`
    /// (default 10 s; at least `BREAKER_MIN_CALLS` of them, default 10), the
    /// failure rate reaches `BREAKER_FAILURE_RATE` (0.5) or the rate of calls
    /// slower than `BREAKER_SLOW_MS` (default: half the call's timeout)
    /// reaches `BREAKER_SLOW_RATE` (0.8). A window of time, not of calls
    /// (`breaker.rs`): a count that never forgets (tower-resilience's counted
    /// every call since the last state change) lets hours of good calls hide
    /// a dead dependency.
    pub breaker_window: Duration,
    pub breaker_min_calls: usize,
    pub breaker_failure_rate: f64,
    pub breaker_slow_call: Duration,
    pub breaker_slow_rate: f64,
    /// Open for `BREAKER_OPEN_MS` (default 5 s), then `BREAKER_HALF_OPEN_CALLS`
    /// (default 3) probes decide whether it closes or opens again.
    pub breaker_open_for: Duration,
    pub breaker_half_open_calls: usize,
    /// At most this many calls to the dependency at once (`BULKHEAD`, default
    /// 64); more are refused at once instead of queueing.
    pub bulkhead: usize,
}

impl ResilienceSettings {
    /// The breaker's part of these settings.
    pub fn breaker(&self) -> BreakerSettings {
        BreakerSettings {
            window: self.breaker_window,
            min_calls: self.breaker_min_calls,
            failure_rate: self.breaker_failure_rate,
            slow_call: self.breaker_slow_call,
            slow_rate: self.breaker_slow_rate,
            open_for: self.breaker_open_for,
            half_open_calls: self.breaker_half_open_calls,
        }
    }

    /// The defaults for a call with this overall timeout.
    pub fn for_timeout(call_timeout: Duration) -> Self {
        Self { attempt_timeout: call_timeout, breaker_slow_call: call_timeout / 2, ..Self::default() }
    }
}

impl Default for ResilienceSettings {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(1),
            retries: 2,
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_secs(1),
            retry_budget_percent: 20.0,
            retry_budget_min_per_sec: 5,
            breaker_window: Duration::from_secs(10),
            breaker_min_calls: 10,
            breaker_failure_rate: 0.5,
            breaker_slow_call: Duration::from_secs(1),
            breaker_slow_rate: 0.8,
            breaker_open_for: Duration::from_secs(5),
            breaker_half_open_calls: 3,
            bulkhead: 64,
        }
    }
}

impl ResilienceSettings {
    pub fn from_env(env: &mut Env, prefix: &str, call_timeout: Duration) -> Self {
        let d = Self::default();
        let key = |name: &str| format!("{prefix}_{name}");
        let rate = |env: &mut Env, name: &str, default: f64| {
            let value = env.parse(&key(name), default);
            if !(0.0..=1.0).contains(&value) || value == 0.0 {
                env.problem(format!("{}={value}: must be in (0, 1]", key(name)));
            }
            value
        };
        let settings = Self {
            attempt_timeout: env.millis(&key("ATTEMPT_TIMEOUT_MS"), call_timeout.as_millis() as u64),
            retries: env.number_in(&key("RETRIES"), d.retries, 0..=10),
            backoff_base: env.millis(&key("RETRY_BACKOFF_MS"), 50),
            backoff_max: env.millis(&key("RETRY_BACKOFF_MAX_MS"), 1_000),
            retry_budget_percent: env.number_in(&key("RETRY_BUDGET_PERCENT"), 20.0, 0.0..=1000.0),
            retry_budget_min_per_sec: env.number_in(&key("RETRY_BUDGET_MIN_PER_SEC"), 5, 0..=10_000),
            breaker_window: env.millis(&key("BREAKER_WINDOW_MS"), d.breaker_window.as_millis() as u64),
            breaker_min_calls: env.number_in(&key("BREAKER_MIN_CALLS"), d.breaker_min_calls, 1..=10_000),
            breaker_failure_rate: rate(env, "BREAKER_FAILURE_RATE", d.breaker_failure_rate),
            breaker_slow_call: env.millis(&key("BREAKER_SLOW_MS"), (call_timeout / 2).as_millis() as u64),
            breaker_slow_rate: rate(env, "BREAKER_SLOW_RATE", d.breaker_slow_rate),
            breaker_open_for: env.millis(&key("BREAKER_OPEN_MS"), 5_000),
            breaker_half_open_calls: env.number_in(
                &key("BREAKER_HALF_OPEN_CALLS"),
                d.breaker_half_open_calls,
                1..=1_000,
            ),
            bulkhead: env.number_in(&key("BULKHEAD"), d.bulkhead, 1..=100_000),
        };
        if settings.breaker_window.is_zero() {
            env.problem(format!("{}: must be longer than 0", key("BREAKER_WINDOW_MS")));
        }
        settings
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DependencyLabels {
    pub peer_service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub peer_service: String,
    /// success, failure, timeout, rejected_by_breaker, rejected_by_bulkhead
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    pub peer_service: String,
    pub from: &'static str,
    pub to: &'static str,
}

/// The resilience series of one service, per dependency.
#[derive(Clone, Default)]
pub struct ResilienceMetrics {
    /// 0 closed, 1 half-open, 2 open.
    pub breaker_state: Family<DependencyLabels, Gauge>,
    pub breaker_transitions: Family<TransitionLabels, Counter>,
    pub calls: Family<OutcomeLabels, Counter>,
    pub retries: Family<DependencyLabels, Counter>,
    pub retry_budget_exhausted: Family<DependencyLabels, Counter>,
}

impl ResilienceMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "resilience_breaker_state",
            "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open",
            metrics.breaker_state.clone(),
        );
        registry.register(
            "resilience_breaker_transitions",
            "Circuit breaker state changes per dependency",
            metrics.breaker_transitions.clone(),
        );
        registry.register("resilience_calls", "Calls to dependencies by outcome", metrics.calls.clone());
        registry.register("resilience_retries", "Retried attempts per dependency", metrics.retries.clone());
        registry.register(
            "resilience_retry_budget_exhausted",
            "Retries not made because the retry budget was spent",
            metrics.retry_budget_exhausted.clone(),
        );
        metrics
    }

    /// What the breaker of `dependency` calls on a state change: logged,
    /// and kept in `resilience_breaker_state` and `_transitions_total`.
    pub(super) fn on_breaker_transition(
        &self,
        dependency: &'static str,
    ) -> impl Fn(BreakerState, BreakerState) + Send + Sync + 'static {
        let labels = DependencyLabels { peer_service: dependency.to_owned() };
        self.breaker_state.get_or_create(&labels).set(state_value(BreakerState::Closed));
        let metrics = self.clone();
        move |from, to| {
            tracing::warn!(dependency, from = state_name(from), to = state_name(to), "circuit breaker state changed");
            metrics.breaker_state.get_or_create(&labels).set(state_value(to));
            let transition =
                TransitionLabels { peer_service: dependency.to_owned(), from: state_name(from), to: state_name(to) };
            metrics.breaker_transitions.get_or_create(&transition).inc();
        }
    }

    pub(super) fn outcome(&self, peer_service: &str, outcome: &'static str) {
        self.calls.get_or_create(&OutcomeLabels { peer_service: peer_service.to_owned(), outcome }).inc();
    }
}

fn state_value(state: BreakerState) -> i64 {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    }
}

fn state_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::HalfOpen => "half_open",
        BreakerState::Open => "open",
    }
}
