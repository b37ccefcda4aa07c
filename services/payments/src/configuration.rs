//! Settings of the payments service, all from the environment.

use platform::client::ClientSettings;
use platform::config::{BaseSettings, Env};

pub const DEFAULT_PORT: u16 = 8086;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Listening, database and telemetry, read as every service reads them.
    pub base: BaseSettings,
    /// The external payment provider (`PROVIDER_URL`, `PROVIDER_TIMEOUT_MS`).
    pub provider: ClientSettings,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            base: BaseSettings::from_env(env, DEFAULT_PORT, "payments"),
            provider: ClientSettings::from_env(env, "payment-provider", "PROVIDER", "http://127.0.0.1:9101"),
        }
    }
}

#[cfg(feature = "test-util")]
impl Settings {
    /// Tests: payments on `database`, its provider at `provider_url`.
    pub fn for_tests(database: platform::config::DatabaseSettings, provider_url: impl Into<String>) -> Self {
        Self {
            base: BaseSettings::for_tests(database),
            provider: ClientSettings::fixed("payment-provider", provider_url),
        }
    }
}
