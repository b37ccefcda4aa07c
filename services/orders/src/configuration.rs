//! Settings of the orders service, all from the environment.

use std::time::Duration;

use platform::client::ClientSettings;
use platform::config::{DatabaseSettings, Env, ServerSettings, TelemetrySettings};
use platform::messaging::BrokerSettings;

use crate::saga::Step;

pub const DEFAULT_PORT: u16 = 8085;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
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
            server: ServerSettings::from_env(env, DEFAULT_PORT),
            database: DatabaseSettings::from_env(env, "orders"),
            telemetry: TelemetrySettings::from_env(env),
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
        if settings.saga.checkout_wait >= settings.server.request_timeout {
            env.problem("ORDERS_CHECKOUT_WAIT_MS must be shorter than REQUEST_TIMEOUT_MS: a checkout answers before the request is cut");
        }
        settings
    }
}
