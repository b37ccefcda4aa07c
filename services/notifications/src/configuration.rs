//! Settings of the notifications service, all from the environment.

use platform::client::ClientSettings;
use platform::config::{DatabaseSettings, Env, ServerSettings, TelemetrySettings};
use platform::messaging::BrokerSettings;

pub const DEFAULT_PORT: u16 = 8087;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    pub broker: BrokerSettings,
    pub users: ClientSettings,
    /// The external e-mail API (`EMAIL_API_URL`, `EMAIL_API_TIMEOUT_MS`).
    pub email: ClientSettings,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            server: ServerSettings::from_env(env, DEFAULT_PORT),
            database: DatabaseSettings::from_env(env, "notifications"),
            telemetry: TelemetrySettings::from_env(env),
            broker: BrokerSettings::from_env(env),
            users: ClientSettings::from_env(env, "users", "USERS", "http://127.0.0.1:8082"),
            email: ClientSettings::from_env(env, "email-api", "EMAIL_API", "http://127.0.0.1:9102"),
        }
    }
}
