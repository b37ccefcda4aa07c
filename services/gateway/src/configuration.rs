//! Settings of the gateway, all from the environment.

use std::num::NonZeroU32;
use std::time::Duration;

use platform::client::ClientSettings;
use platform::config::{Env, ServerSettings, TelemetrySettings};

pub const DEFAULT_PORT: u16 = 8080;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub telemetry: TelemetrySettings,
    pub upstreams: Upstreams,
    pub rate_limit: RateLimitSettings,
    pub cache: CacheSettings,
    /// Unknown key ids trigger a JWKS refetch at most this often, so that
    /// tokens with made-up key ids cannot hammer auth.
    pub jwks_min_refresh: Duration,
}

/// Where each service is: `<NAME>_URL` is a list of base URLs or `dns+http://name:port`.
#[derive(Debug, Clone)]
pub struct Upstreams {
    pub auth: ClientSettings,
    pub users: ClientSettings,
    pub catalog: ClientSettings,
    pub inventory: ClientSettings,
    pub orders: ClientSettings,
    pub notifications: ClientSettings,
}

/// Token bucket per client: a user id when authenticated, the IP otherwise.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// One request's worth of budget comes back this often
    /// (`1s / GATEWAY_RATE_LIMIT_PER_SECOND`).
    pub replenish_every: Duration,
    /// Requests a client may make at once after being idle.
    pub burst: NonZeroU32,
}

#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    /// `GATEWAY_CACHE_ENABLED=false`: catalog reads pass straight through
    /// (no lookup, no buffering, no stale fallback), as any other route.
    pub enabled: bool,
    /// Served from the cache without asking catalog while younger than this.
    pub fresh_for: Duration,
    /// Kept this long to answer (marked degraded) when catalog fails.
    pub keep_stale_for: Duration,
    pub max_bytes: u64,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        let per_second = env.number_in("GATEWAY_RATE_LIMIT_PER_SECOND", 50u32, 1..=1_000_000);
        let burst = env.number_in("GATEWAY_RATE_LIMIT_BURST", 100u32, 1..=1_000_000);
        Self {
            server: ServerSettings::from_env(env, DEFAULT_PORT),
            telemetry: TelemetrySettings::from_env(env),
            upstreams: Upstreams {
                auth: ClientSettings::from_env(env, "auth", "AUTH", "http://127.0.0.1:8081"),
                users: ClientSettings::from_env(env, "users", "USERS", "http://127.0.0.1:8082"),
                catalog: ClientSettings::from_env(env, "catalog", "CATALOG", "http://127.0.0.1:8083"),
                inventory: ClientSettings::from_env(env, "inventory", "INVENTORY", "http://127.0.0.1:8084"),
                // A checkout answers when its saga has (up to orders' checkout wait).
                orders: ClientSettings::from_env_with_timeout(
                    env,
                    "orders",
                    "ORDERS",
                    "http://127.0.0.1:8085",
                    Duration::from_secs(15),
                ),
                notifications: ClientSettings::from_env(env, "notifications", "NOTIFICATIONS", "http://127.0.0.1:8087"),
            },
            rate_limit: RateLimitSettings {
                replenish_every: Duration::from_secs(1) / per_second.max(1),
                burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
            },
            cache: CacheSettings {
                enabled: env.parse("GATEWAY_CACHE_ENABLED", true),
                fresh_for: env.millis("GATEWAY_CACHE_TTL_MS", 2_000),
                keep_stale_for: env.millis("GATEWAY_CACHE_STALE_MS", 300_000),
                max_bytes: env.number_in("GATEWAY_CACHE_MAX_BYTES", 32 * 1024 * 1024, 1024..=4 * 1024 * 1024 * 1024),
            },
            jwks_min_refresh: env.millis("GATEWAY_JWKS_MIN_REFRESH_MS", 10_000),
        }
    }
}

#[cfg(feature = "test-util")]
impl Upstreams {
    /// Tests: every upstream at a closed port of 127.0.0.1, refused at once;
    /// a test sets the ones it needs (`Upstreams { auth, ..unreachable() }`).
    pub fn unreachable() -> Self {
        let nowhere = |name| ClientSettings::fixed(name, format!("http://{}", platform::test_util::closed_port()));
        Self {
            auth: nowhere("auth"),
            users: nowhere("users"),
            catalog: nowhere("catalog"),
            inventory: nowhere("inventory"),
            orders: nowhere("orders"),
            notifications: nowhere("notifications"),
        }
    }
}

#[cfg(feature = "test-util")]
impl Settings {
    /// Tests: the gateway in front of `upstreams`, a rate limit no test
    /// reaches unless it sets one, a cache fresh for a second.
    pub fn for_tests(upstreams: Upstreams) -> Self {
        Self {
            server: ServerSettings::for_tests(),
            telemetry: TelemetrySettings::for_tests(),
            upstreams,
            rate_limit: RateLimitSettings {
                replenish_every: Duration::from_micros(100),
                burst: NonZeroU32::new(10_000).expect("not zero"),
            },
            cache: CacheSettings {
                enabled: true,
                fresh_for: Duration::from_secs(1),
                keep_stale_for: Duration::from_secs(60),
                max_bytes: 1 << 20,
            },
            jwks_min_refresh: Duration::from_secs(1),
        }
    }
}
