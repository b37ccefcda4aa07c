//! Per-client rate limiting (GCRA token bucket, via `governor`): keyed by user
//! id when authenticated, by client IP otherwise, so that one noisy client is
//! slowed down without touching the others. Refusals are 429 + Retry-After.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use platform::{ApiError, Caller};

use crate::configuration::RateLimitSettings;
use crate::metrics::{GatewayMetrics, RateLimitLabels};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    User(uuid::Uuid),
    Ip(IpAddr),
}

#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<ClientKey>>,
    metrics: GatewayMetrics,
}

impl RateLimit {
    pub fn new(settings: RateLimitSettings, metrics: GatewayMetrics) -> Self {
        let quota = Quota::with_period(settings.replenish_every)
            .unwrap_or_else(|| Quota::per_second(std::num::NonZeroU32::MAX))
            .allow_burst(settings.burst);
        let limiter = Arc::new(RateLimiter::keyed(quota));
        // Forget idle clients now and then, so the key table stays small.
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                let Some(limiter) = weak.upgrade() else {
                    return;
                };
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
        Self { limiter, metrics }
    }

    /// `Err(seconds to wait)` when `key` is over its quota.
    pub fn check(&self, key: &ClientKey) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

pub async fn limit_rate(State(limit): State<RateLimit>, request: Request, next: Next) -> Response {
    let key = match request.extensions().get::<Caller>() {
        Some(caller) => ClientKey::User(caller.user_id),
        None => {
            let ip =
                request.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
            ClientKey::Ip(ip)
        }
    };
    match limit.check(&key) {
        Ok(()) => next.run(request).await,
        Err(retry_after_secs) => {
            let client_kind = if matches!(key, ClientKey::User(_)) { "user" } else { "ip" };
            limit.metrics.rate_limited.get_or_create(&RateLimitLabels { client_kind }).inc();
            ApiError::TooManyRequests { retry_after_secs }.into_response()
        }
    }
}
