//! How a simulator misbehaves: added latency, a rate of failures (5xx), and
//! for the payment provider a rate of declines. Changed at run time with
//! `PUT /admin/behaviour`, so a demo can turn a fault on without a restart.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::State;
use platform::config::Env;
use platform::{ApiError, AppJson};
use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// Added to every answer, in milliseconds ...
    pub latency_ms: u64,
    /// ... plus a uniformly random extra of up to this much.
    pub jitter_ms: u64,
    /// Fraction of requests answered 503 (0..=1).
    pub failure_rate: f64,
    /// Fraction of charges declined (payment provider only, 0..=1).
    pub decline_rate: f64,
}

impl Behaviour {
    /// No latency, no failures, no declines.
    pub const NONE: Self = Self { latency_ms: 0, jitter_ms: 0, failure_rate: 0.0, decline_rate: 0.0 };

    /// `<PREFIX>_LATENCY_MS`, `_JITTER_MS`, `_FAILURE_RATE`, `_DECLINE_RATE`.
    pub fn from_env(env: &mut Env, prefix: &str) -> Self {
        let behaviour = Self {
            latency_ms: env.parse(&format!("{prefix}_LATENCY_MS"), 0),
            jitter_ms: env.parse(&format!("{prefix}_JITTER_MS"), 0),
            failure_rate: env.parse(&format!("{prefix}_FAILURE_RATE"), 0.0),
            decline_rate: env.parse(&format!("{prefix}_DECLINE_RATE"), 0.0),
        };
        if let Err(problem) = behaviour.check() {
            env.problem(format!("{prefix}: {problem}"));
        }
        behaviour
    }

    fn check(&self) -> Result<(), String> {
        for (name, rate) in [("failure_rate", self.failure_rate), ("decline_rate", self.decline_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        Ok(())
    }

    /// Waits the configured latency.
    pub async fn delay(&self) {
        let jitter = if self.jitter_ms > 0 { rand::thread_rng().gen_range(0..=self.jitter_ms) } else { 0 };
        let total = self.latency_ms + jitter;
        if total > 0 {
            tokio::time::sleep(Duration::from_millis(total)).await;
        }
    }

    pub fn should_fail(&self) -> bool {
        self.failure_rate > 0.0 && rand::thread_rng().gen_bool(self.failure_rate)
    }

    pub fn should_decline(&self) -> bool {
        self.decline_rate > 0.0 && rand::thread_rng().gen_bool(self.decline_rate)
    }
}

/// The current behaviour, shared with the handlers.
#[derive(Clone)]
pub struct BehaviourSwitch(Arc<RwLock<Behaviour>>);

impl BehaviourSwitch {
    pub fn new(initial: Behaviour) -> Self {
        Self(Arc::new(RwLock::new(initial)))
    }

    pub fn current(&self) -> Behaviour {
        *self.0.read().expect("poisoned")
    }
}

pub async fn get_behaviour(State(switch): State<BehaviourSwitch>) -> AppJson<Behaviour> {
    AppJson(switch.current())
}

pub async fn put_behaviour(
    State(switch): State<BehaviourSwitch>,
    AppJson(next): AppJson<Behaviour>,
) -> Result<AppJson<Behaviour>, ApiError> {
    next.check().map_err(|message| ApiError::unprocessable("invalid_behaviour", message))?;
    *switch.0.write().expect("poisoned") = next;
    tracing::info!(?next, "behaviour changed");
    Ok(AppJson(next))
}
