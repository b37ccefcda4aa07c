//! Settings of the notifications service, all from the environment.

use platform::client::ClientSettings;
use platform::config::{BaseSettings, Env};
use platform::messaging::BrokerSettings;

pub const DEFAULT_PORT: u16 = 8087;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Listening, database and telemetry, read as every service reads them.
    pub base: BaseSettings,
    pub broker: BrokerSettings,
    pub users: ClientSettings,
    /// The external e-mail API (`EMAIL_API_URL`, `EMAIL_API_TIMEOUT_MS`).
    pub email: ClientSettings,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        Self {
            base: BaseSettings::from_env(env, DEFAULT_PORT, "notifications"),
            broker: BrokerSettings::from_env(env),
            users: ClientSettings::from_env(env, "users", "USERS", "http://127.0.0.1:8082"),
            email: ClientSettings::from_env(env, "email-api", "EMAIL_API", "http://127.0.0.1:9102"),
        }
    }
}

#[cfg(feature = "test-util")]
impl Settings {
    /// Tests: notifications on `database` and `broker`, with users and the
    /// e-mail API at these base URLs.
    pub fn for_tests(
        database: platform::config::DatabaseSettings,
        broker: BrokerSettings,
        users_url: impl Into<String>,
        email_url: impl Into<String>,
    ) -> Self {
        Self {
            base: BaseSettings::for_tests(database),
            broker,
            users: ClientSettings::fixed("users", users_url),
            email: ClientSettings::fixed("email-api", email_url),
        }
    }
}
