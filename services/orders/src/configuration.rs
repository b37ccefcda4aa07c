//! Settings of the orders service, all from the environment.

use std::time::Duration;

use platform::client::ClientSettings;
use platform::config::{BaseSettings, Env};
use platform::messaging::BrokerSettings;

use crate::saga::Step;

pub const DEFAULT_PORT: u16 = 8085;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Listening, database and telemetry, read as every service reads them.
    pub base: BaseSettings,
    pub broker: BrokerSettings,
    pub catalog: ClientSettings,
    pub inventory: ClientSettings,
    pub payments: ClientSettings,
    pub saga: SagaSettings,
}

#[derive(Debug, Clone)]
pub struct SagaSettings {
    /// How long `POST /api/v1/orders` waits for the saga before answering
    /// 202 with the order still pending (the saga goes on regardless).
    pub checkout_wait: Duration,
    /// A runner owns a saga this long; if it dies, another takes over after.
    pub lease: Duration,
    /// First delay before retrying a step that failed; doubles up to 30 s.
    pub retry_base: Duration,
    /// How often pending sagas are looked for (recovery after a crash).
    pub recovery_sweep: Duration,
    /// Fault injection: stop the saga after this step as if the process had
    /// died there (`ORDERS_SAGA_HALT_AFTER=reserve|charge`). For crash tests
    /// and demos only.
    pub halt_after: Option<Step>,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        let halt_after = env.optional("ORDERS_SAGA_HALT_AFTER").and_then(|raw| match Step::parse(&raw) {
            Some(step) => Some(step),
            None => {
                env.problem(format!("ORDERS_SAGA_HALT_AFTER={raw:?}: not a saga step"));
                None
            }
        });
        let settings = Self {
            base: BaseSettings::from_env(env, DEFAULT_PORT, "orders"),
            broker: BrokerSettings::from_env(env),
            catalog: ClientSettings::from_env(env, "catalog", "CATALOG", "http://127.0.0.1:8083"),
            inventory: ClientSettings::from_env(env, "inventory", "INVENTORY", "http://127.0.0.1:8084"),
            payments: ClientSettings::from_env(env, "payments", "PAYMENTS", "http://127.0.0.1:8086"),
            saga: SagaSettings {
                checkout_wait: env.millis("ORDERS_CHECKOUT_WAIT_MS", 8_000),
                lease: env.millis("ORDERS_SAGA_LEASE_MS", 15_000),
                retry_base: env.millis("ORDERS_SAGA_RETRY_MS", 1_000),
                recovery_sweep: env.millis("ORDERS_RECOVERY_SWEEP_MS", 1_000),
                halt_after,
            },
        };
        if settings.saga.checkout_wait >= settings.base.server.request_timeout {
            env.problem("ORDERS_CHECKOUT_WAIT_MS must be shorter than REQUEST_TIMEOUT_MS: a checkout answers before the request is cut");
        }
        settings
    }
}

/// Where orders finds the services its saga calls (base URLs), for tests.
#[cfg(feature = "test-util")]
pub struct TestUpstreams {
    pub catalog: String,
    pub inventory: String,
    pub payments: String,
}

#[cfg(feature = "test-util")]
impl Settings {
    /// Tests: orders on `database` and `broker`, calling `upstreams`, with a
    /// saga quick to retry and to recover (leases of half a second).
    pub fn for_tests(
        database: platform::config::DatabaseSettings,
        broker: BrokerSettings,
        upstreams: &TestUpstreams,
    ) -> Self {
        Self {
            base: BaseSettings::for_tests(database),
            broker,
            catalog: ClientSettings::fixed("catalog", upstreams.catalog.clone()),
            inventory: ClientSettings::fixed("inventory", upstreams.inventory.clone()),
            payments: ClientSettings::fixed("payments", upstreams.payments.clone()),
            saga: SagaSettings {
                checkout_wait: Duration::from_secs(10),
                lease: Duration::from_millis(500),
                retry_base: Duration::from_millis(100),
                recovery_sweep: Duration::from_millis(100),
                halt_after: None,
            },
        }
    }

    /// The saga stops after `step` as if the process had died there.
    pub fn halting_after(mut self, step: Option<Step>) -> Self {
        self.saga.halt_after = step;
        self
    }
}
