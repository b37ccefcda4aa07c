//! Settings of the users service, all from the environment.

use platform::config::{DatabaseSettings, Env, ServerSettings, TelemetrySettings};

pub const DEFAULT_PORT: u16 = 8082;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            server: ServerSettings::from_env(env, DEFAULT_PORT),
            database: DatabaseSettings::from_env(env, "users"),
            telemetry: TelemetrySettings::from_env(env),
        }
    }
}
