//! When to try again, and how long to wait: tower's retry with a policy that
//! retries only what is safe to repeat, backs off exponentially with full
//! jitter, and stops when the retry budget is spent.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rand::Rng;
use tower::retry::budget::{Budget, TpsBudget};

use super::resilience::{DependencyLabels, ResilienceMetrics, ResilienceSettings};
use super::{Call, CallError, is_idempotent};

#[derive(Clone)]
pub struct RetryPolicy {
    dependency: &'static str,
    settings: Arc<ResilienceSettings>,
    budget: Arc<TpsBudget>,
    /// Shared: the policy is cloned for every call.
    metrics: Arc<ResilienceMetrics>,
    /// Retries made for the current request (each request gets its own copy).
    attempts: u32,
}

impl RetryPolicy {
    pub fn new(dependency: &'static str, settings: Arc<ResilienceSettings>, metrics: ResilienceMetrics) -> Self {
        let budget = TpsBudget::new(
            Duration::from_secs(10),
            settings.retry_budget_min_per_sec,
            settings.retry_budget_percent / 100.0,
        );
        Self { dependency, settings, budget: Arc::new(budget), metrics: Arc::new(metrics), attempts: 0 }
    }

    fn labels(&self) -> DependencyLabels {
        DependencyLabels { peer_service: self.dependency.to_owned() }
    }

    /// Full jitter: uniform in [0, min(base·2ⁿ, max)].
    fn backoff(&self) -> Duration {
        let ceiling = self
            .settings
            .backoff_base
            .saturating_mul(2u32.saturating_pow(self.attempts))
            .min(self.settings.backoff_max);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(if millis == 0 { 0 } else { rand::thread_rng().gen_range(0..=millis) })
    }
}

/// Whether repeating `call` cannot cause an effect twice.
fn safe_to_repeat(call: &Call, result: &Result<reqwest::Response, CallError>) -> bool {
    matches!(result, Err(CallError::Unavailable { .. })) // it never left
        || is_idempotent(&call.method)
        || call.headers.contains_key(crate::idempotency_key::HEADER)
}

fn transient(result: &Result<reqwest::Response, CallError>) -> bool {
    match result {
        Ok(response) => matches!(response.status().as_u16(), 502..=504),
        Err(CallError::Unavailable { .. } | CallError::Timeout { .. } | CallError::Interrupted { .. }) => true,
        Err(_) => false,
    }
}

impl tower::retry::Policy<Call, reqwest::Response, CallError> for RetryPolicy {
    type Future = BoxFuture<'static, ()>;

    fn retry(&mut self, call: &mut Call, result: &mut Result<reqwest::Response, CallError>) -> Option<Self::Future> {
        if !transient(result) || !safe_to_repeat(call, result) || self.attempts >= self.settings.retries {
            return None;
        }
        if !self.budget.withdraw() {
            self.metrics.retry_budget_exhausted.get_or_create(&self.labels()).inc();
            return None;
        }
        let delay = self.backoff();
        self.attempts += 1;
        self.metrics.retries.get_or_create(&self.labels()).inc();
        tracing::debug!(
            dependency = self.dependency,
            attempt = self.attempts,
            delay_ms = delay.as_millis() as u64,
            "retrying"
        );
        Some(Box::pin(tokio::time::sleep(delay)))
    }

    fn clone_request(&mut self, call: &Call) -> Option<Call> {
        if self.attempts == 0 {
            // Every first attempt earns budget for later retries.
            self.budget.deposit();
        }
        Some(call.clone())
    }
}
