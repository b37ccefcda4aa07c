//! Settings of the payments service, all from the environment.

use platform::client::ClientSettings;
use platform::config::{DatabaseSettings, Env, ServerSettings, TelemetrySettings};

pub const DEFAULT_PORT: u16 = 8086;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    /// The external payment provider (`PROVIDER_URL`, `PROVIDER_TIMEOUT_MS`).
    pub provider: ClientSettings,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            server: ServerSettings::from_env(env, DEFAULT_PORT),
            database: DatabaseSettings::from_env(env, "payments"),
            telemetry: TelemetrySettings::from_env(env),
            provider: ClientSettings::from_env(env, "payment-provider", "PROVIDER", "http://127.0.0.1:9101"),
        }
    }
}
