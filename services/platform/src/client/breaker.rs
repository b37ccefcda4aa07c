//! The circuit breaker, as a tower layer over one dependency's calls.
//!
//! Closed, it counts the calls of the last `window` in ten time buckets (a
//! call costs the same whatever the rate: the first version kept a record
//! per call and rescanned them all on every call, which at a few thousand
//! calls a second was the gateway's hottest function). It opens when, with
//! at least `min_calls` in the window, the share of failures or of slow
//! calls reaches its threshold. Open, it refuses at once for `open_for`;
//! then it lets `half_open_calls` probes through, and their outcome closes
//! it or opens it again. A call abandoned half-way (the caller's timeout
//! dropped it) counts as a failure, so a probe can never stay pending.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

// tokio's clock: tests drive the breaker's time with a paused clock.
use tokio::time::Instant;

use futures::future::BoxFuture;

use super::{Call, CallError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BreakerState {
    #[default]
    Closed,
    HalfOpen,
    Open,
}

#[derive(Debug, Clone, Copy)]
pub struct BreakerSettings {
    pub window: Duration,
    pub min_calls: usize,
    /// 0..=1: the share of failed calls that opens the breaker.
    pub failure_rate: f64,
    pub slow_call: Duration,
    /// 0..=1: the share of calls slower than `slow_call` that opens it.
    pub slow_rate: f64,
    pub open_for: Duration,
    pub half_open_calls: usize,
}

type OnTransition = Box<dyn Fn(BreakerState, BreakerState) + Send + Sync>;

/// The breaker over `inner`, made by [`BreakerLayer`].
pub struct Breaker<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: Clone> Clone for Breaker<S> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), shared: self.shared.clone() }
    }
}

/// Makes a [`Breaker`] of the service below; every service it is applied to
/// shares one breaker state (apply it once per dependency).
#[derive(Clone)]
pub struct BreakerLayer {
    shared: Arc<Shared>,
}

impl BreakerLayer {
    /// `on_transition(from, to)` is told of every state change.
    pub fn new(
        dependency: &'static str,
        settings: BreakerSettings,
        on_transition: impl Fn(BreakerState, BreakerState) + Send + Sync + 'static,
    ) -> Self {
        let state = Inner { state: BreakerState::Closed, window: Window::new(settings.window), ..Inner::default() };
        let shared = Shared { dependency, settings, inner: Mutex::new(state), on_transition: Box::new(on_transition) };
        Self { shared: Arc::new(shared) }
    }
}

impl<S> tower::Layer<S> for BreakerLayer {
    type Service = Breaker<S>;

    fn layer(&self, inner: S) -> Breaker<S> {
        Breaker { inner, shared: self.shared.clone() }
    }
}

impl<S> tower::Service<Call> for Breaker<S>
where
    S: tower::Service<Call, Response = reqwest::Response, Error = CallError>,
    S::Future: Send + 'static,
{
    type Response = reqwest::Response;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<reqwest::Response, CallError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let Some(permit) = self.shared.admit() else {
            let dependency = self.shared.dependency;
            return Box::pin(async move { Err(CallError::CircuitOpen { dependency }) });
        };
        let future = self.inner.call(call);
        let mut outcome = Outcome { shared: self.shared.clone(), permit, started: Instant::now(), recorded: false };
        Box::pin(async move {
            let result = future.await;
            let failed = match &result {
                // A 4xx is a correct answer; a full bulkhead is our own limit.
                Ok(response) => response.status().is_server_error(),
                Err(CallError::BulkheadFull { .. }) => {
                    outcome.recorded = true;
                    outcome.shared.forget(outcome.permit);
                    return result;
                }
                Err(_) => true,
            };
            outcome.record(failed);
            result
        })
    }
}

/// How a call was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Permit {
    Closed,
    Probe,
}

/// Records the call's outcome once: when it ends, or as a failure if it is
/// dropped before.
struct Outcome {
    shared: Arc<Shared>,
    permit: Permit,
    started: Instant,
    recorded: bool,
}

impl Outcome {
    fn record(&mut self, failed: bool) {
        self.recorded = true;
        let slow = self.started.elapsed() >= self.shared.settings.slow_call;
        self.shared.record(self.permit, failed, slow);
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.recorded {
            self.record(true);
        }
    }
}

struct Shared {
    dependency: &'static str,
    settings: BreakerSettings,
    inner: Mutex<Inner>,
    on_transition: OnTransition,
}

#[derive(Default)]
struct Inner {
    state: BreakerState,
    window: Window,
    opened_at: Option<Instant>,
    probes_admitted: usize,
    probes: Counts,
}

impl Shared {
    fn admit(&self) -> Option<Permit> {
        let (permit, transition) = {
            let mut inner = self.inner.lock().expect("breaker lock");
            match inner.state {
                BreakerState::Closed => (Some(Permit::Closed), None),
                BreakerState::Open => {
                    if inner.opened_at.is_some_and(|at| at.elapsed() >= self.settings.open_for) {
                        inner.state = BreakerState::HalfOpen;
                        inner.probes_admitted = 1;
                        inner.probes = Counts::default();
                        (Some(Permit::Probe), Some((BreakerState::Open, BreakerState::HalfOpen)))
                    } else {
                        (None, None)
                    }
                }
                BreakerState::HalfOpen if inner.probes_admitted < self.settings.half_open_calls => {
                    inner.probes_admitted += 1;
                    (Some(Permit::Probe), None)
                }
                BreakerState::HalfOpen => (None, None),
            }
        };
        self.tell(transition);
        permit
    }

    fn record(&self, permit: Permit, failed: bool, slow: bool) {
        let transition = {
            let mut inner = self.inner.lock().expect("breaker lock");
            let s = &self.settings;
            match (permit, inner.state) {
                (Permit::Closed, BreakerState::Closed) => {
                    let counts = inner.window.record(failed, slow);
                    (counts.calls >= s.min_calls.max(1) && counts.trips(s)).then(|| inner.open())
                }
                (Permit::Probe, BreakerState::HalfOpen) => {
                    inner.probes.add(failed, slow);
                    if inner.probes.trips(s) {
                        Some(inner.open())
                    } else if inner.probes.calls >= s.half_open_calls {
                        inner.state = BreakerState::Closed;
                        inner.window.clear();
                        Some((BreakerState::HalfOpen, BreakerState::Closed))
                    } else {
                        None
                    }
                }
                // A call let through in a state that has passed since: its
                // outcome says nothing about the present.
                _ => None,
            }
        };
        self.tell(transition);
    }

    /// A probe that never reached the dependency gives its place back.
    fn forget(&self, permit: Permit) {
        let mut inner = self.inner.lock().expect("breaker lock");
        if permit == Permit::Probe && inner.state == BreakerState::HalfOpen {
            inner.probes_admitted = inner.probes_admitted.saturating_sub(1);
        }
    }

    fn tell(&self, transition: Option<(BreakerState, BreakerState)>) {
        if let Some((from, to)) = transition {
            (self.on_transition)(from, to);
        }
    }
}

impl Inner {
    fn open(&mut self) -> (BreakerState, BreakerState) {
        let from = self.state;
        self.state = BreakerState::Open;
        self.opened_at = Some(Instant::now());
        self.window.clear();
        (from, BreakerState::Open)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    calls: usize,
    failures: usize,
    slow: usize,
}

impl Counts {
    fn add(&mut self, failed: bool, slow: bool) {
        self.calls += 1;
        self.failures += usize::from(failed);
        self.slow += usize::from(slow);
    }

    /// The failure or slow-call share has reached its threshold.
    fn trips(&self, s: &BreakerSettings) -> bool {
        let calls = self.calls.max(1) as f64;
        self.failures as f64 / calls >= s.failure_rate || self.slow as f64 / calls >= s.slow_rate
    }
}

const BUCKETS: usize = 10;

/// The last `window`, in `BUCKETS` slices: each slot remembers which slice
/// it holds, and a slot from an older slice counts as empty.
#[derive(Default)]
struct Window {
    started: Option<Instant>,
    slice: Duration,
    slots: [(u64, Counts); BUCKETS],
}

impl Window {
    fn new(window: Duration) -> Self {
        let slice = (window / BUCKETS as u32).max(Duration::from_millis(1));
        Self { started: Some(Instant::now()), slice, slots: Default::default() }
    }

    fn current(&self) -> u64 {
        let elapsed = self.started.map_or(Duration::ZERO, |s| s.elapsed());
        (elapsed.as_nanos() / self.slice.as_nanos().max(1)) as u64
    }

    /// Adds a call; returns the window's totals.
    fn record(&mut self, failed: bool, slow: bool) -> Counts {
        let now = self.current();
        let slot = &mut self.slots[(now % BUCKETS as u64) as usize];
        if slot.0 != now {
            *slot = (now, Counts::default());
        }
        slot.1.add(failed, slow);
        let oldest = now.saturating_sub(BUCKETS as u64 - 1);
        self.slots.iter().filter(|(slice, _)| *slice >= oldest && *slice <= now).fold(
            Counts::default(),
            |mut sum, (_, c)| {
                sum.calls += c.calls;
                sum.failures += c.failures;
                sum.slow += c.slow;
                sum
            },
        )
    }

    fn clear(&mut self) {
        self.slots = Default::default();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tower::{Service, ServiceExt};

    use super::*;

    fn settings(open_for: Duration) -> BreakerSettings {
        BreakerSettings {
            window: Duration::from_secs(10),
            min_calls: 1,
            failure_rate: 0.5,
            slow_call: Duration::from_secs(10),
            slow_rate: 1.0,
            open_for,
            half_open_calls: 1,
        }
    }

    /// A dependency that never answers; counts the calls that reach it.
    fn hung(
        reached: Arc<AtomicUsize>,
    ) -> impl Service<Call, Response = reqwest::Response, Error = CallError, Future: Send + 'static> + Clone {
        tower::service_fn(move |_call: Call| {
            reached.fetch_add(1, Ordering::SeqCst);
            futures::future::pending::<Result<reqwest::Response, CallError>>()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_abandoned_by_its_caller_counts_as_a_failure_and_no_probe_stays_pending() {
        let reached = Arc::new(AtomicUsize::new(0));
        let open_for = Duration::from_millis(20);
        let mut breaker =
            tower::Layer::layer(&BreakerLayer::new("hung", settings(open_for), |_, _| {}), hung(reached.clone()));
        let abandon = |breaker: &mut Breaker<_>| {
            let future = breaker.call(Call::get("/x"));
            drop(future);
        };
        abandon(&mut breaker);
        let refused = breaker.ready().await.unwrap().call(Call::get("/x")).await;
        assert!(matches!(refused, Err(CallError::CircuitOpen { .. })), "one abandoned call of one opens it");

        for round in 0..3 {
            tokio::time::advance(open_for).await;
            // The probe is let through, then abandoned too: open again, not stuck half-open.
            abandon(&mut breaker);
            assert_eq!(reached.load(Ordering::SeqCst), 2 + round, "a probe reached the dependency");
            let refused = breaker.call(Call::get("/x")).await;
            assert!(matches!(refused, Err(CallError::CircuitOpen { .. })));
        }
    }
}
