//! Settings of the inventory service, all from the environment.

use std::time::Duration;

use platform::config::{DatabaseSettings, Env, ServerSettings, TelemetrySettings};
use platform::messaging::BrokerSettings;

pub const DEFAULT_PORT: u16 = 8084;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    pub broker: BrokerSettings,
    /// A reservation not committed within this time is released.
    pub reservation_ttl: Duration,
    /// How often expired reservations are looked for.
    pub expiry_sweep: Duration,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            server: ServerSettings::from_env(env, DEFAULT_PORT),
            database: DatabaseSettings::from_env(env, "inventory"),
            telemetry: TelemetrySettings::from_env(env),
            broker: BrokerSettings::from_env(env),
            reservation_ttl: Duration::from_secs(env.number_in("INVENTORY_RESERVATION_TTL_SECS", 600, 1..=86_400)),
            expiry_sweep: env.millis("INVENTORY_EXPIRY_SWEEP_MS", 5_000),
        }
    }
}
