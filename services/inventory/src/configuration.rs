//! Settings of the inventory service, all from the environment.

use std::time::Duration;

use platform::config::{BaseSettings, Env};
use platform::messaging::BrokerSettings;

pub const DEFAULT_PORT: u16 = 8084;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Listening, database and telemetry, read as every service reads them.
    pub base: BaseSettings,
    pub broker: BrokerSettings,
    /// A reservation not committed within this time is released.
    pub reservation_ttl: Duration,
    /// How often expired reservations are looked for.
    pub expiry_sweep: Duration,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            base: BaseSettings::from_env(env, DEFAULT_PORT, "inventory"),
            broker: BrokerSettings::from_env(env),
            reservation_ttl: Duration::from_secs(env.number_in("INVENTORY_RESERVATION_TTL_SECS", 600, 1..=86_400)),
            expiry_sweep: env.millis("INVENTORY_EXPIRY_SWEEP_MS", 5_000),
        }
    }
}

#[cfg(feature = "test-util")]
impl Settings {
    /// Tests: inventory on `database` and `broker`; reservations last ten
    /// minutes, expired ones are looked for every second.
    pub fn for_tests(database: platform::config::DatabaseSettings, broker: BrokerSettings) -> Self {
        Self {
            base: BaseSettings::for_tests(database),
            broker,
            reservation_ttl: Duration::from_secs(600),
            expiry_sweep: Duration::from_secs(1),
        }
    }
}
