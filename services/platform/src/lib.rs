//! What every service of the shop shares, written once: configuration,
//! telemetry, the HTTP server and its middleware, health/readiness/metrics,
//! the JSON error shape, caller identity, the database pool, and the client
//! for calling other services.

/// Every binary built on the platform allocates with mimalloc: glibc's
/// malloc was a sixth of the gateway's CPU under load (docs/benchmarks.md).
/// Built without transparent huge pages (`no_thp`): with them, its arenas
/// took 2 MiB pages for a few KiB of data, about 9 MiB more per service at
/// rest and no measurable gain in throughput.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod cli;
pub mod client;
pub mod config;
pub mod cursor;
pub mod db;
pub mod email;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency_key;
pub mod identity;
pub mod messaging;
pub mod metrics;
pub mod middleware;
pub mod money;
pub mod pagination;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod token;
pub mod upstream;

#[cfg(feature = "test-util")]
pub mod test_util;

pub use error::ApiError;
pub use extract::{AppJson, AppPath, AppQuery};
pub use idempotency_key::IdempotencyKey;
pub use identity::{Caller, Role};

/// Reads a service's settings from the process environment, or prints every
/// problem and exits with status 2: a misconfigured service must not start.
pub fn load_settings_or_exit<T>(service: &str, read: impl FnOnce(&mut config::Env) -> T) -> T {
    let mut env = config::Env::from_process();
    let settings = read(&mut env);
    if let Err(error) = env.finish() {
        eprintln!("{service}: {error}");
        std::process::exit(2);
    }
    settings
}
