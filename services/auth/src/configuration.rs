//! Settings of the auth service, all from the environment.

use std::time::Duration;

use platform::client::ClientSettings;
use platform::config::{BaseSettings, Env};
use platform::email::Email;
use secrecy::SecretString;

use crate::passwords::HashCost;

pub const DEFAULT_PORT: u16 = 8081;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Listening, database and telemetry, read as every service reads them.
    pub base: BaseSettings,
    pub users: ClientSettings,
    pub tokens: TokenSettings,
    pub password_cost: HashCost,
    /// Created at start-up when absent, so that a fresh stack has an admin.
    pub bootstrap_admin: Option<(Email, SecretString)>,
}

#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// PKCS#8 PEM of an Ed25519 key (`AUTH_SIGNING_KEY_PEM`). Without it a key
    /// is generated at start-up: fine for one instance, but tokens then die
    /// with the process and several instances would not agree.
    pub signing_key_pem: Option<SecretString>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl Settings {
    pub fn from_env(env: &mut Env) -> Self {
        let admin_email = env.optional("AUTH_ADMIN_EMAIL");
        let admin_password = env.optional("AUTH_ADMIN_PASSWORD");
        let bootstrap_admin = match (admin_email, admin_password) {
            (Some(email), Some(password)) => match Email::parse(&email) {
                Ok(email) => Some((email, SecretString::from(password))),
                Err(error) => {
                    env.problem(format!("AUTH_ADMIN_EMAIL: {error}"));
                    None
                }
            },
            (None, None) => None,
            _ => {
                env.problem("AUTH_ADMIN_EMAIL and AUTH_ADMIN_PASSWORD go together");
                None
            }
        };
        Self {
            base: BaseSettings::from_env(env, DEFAULT_PORT, "auth"),
            users: ClientSettings::from_env(env, "users", "USERS", "http://127.0.0.1:8082"),
            tokens: TokenSettings {
                signing_key_pem: env.optional("AUTH_SIGNING_KEY_PEM").map(SecretString::from),
                access_ttl: Duration::from_secs(env.number_in("AUTH_ACCESS_TOKEN_TTL_SECS", 900, 5..=86_400)),
                refresh_ttl: Duration::from_secs(env.number_in(
                    "AUTH_REFRESH_TOKEN_TTL_SECS",
                    14 * 86_400,
                    60..=365 * 86_400,
                )),
            },
            password_cost: HashCost {
                memory_kib: env.number_in("AUTH_PASSWORD_HASH_MEMORY_KIB", 7_168, 1_024..=1_048_576),
                iterations: env.number_in("AUTH_PASSWORD_HASH_ITERATIONS", 5, 1..=10),
            },
            bootstrap_admin,
        }
    }
}

/// The test admin that [`Settings::for_tests`] bootstraps (fake, test-only).
#[cfg(feature = "test-util")]
pub const TEST_ADMIN_EMAIL: &str = "admin@shop.test";
#[cfg(feature = "test-util")]
pub const TEST_ADMIN_PASSWORD: &str = "test-only-admin-password";

#[cfg(feature = "test-util")]
impl Settings {
    /// Tests: auth on `database`, its users service at `users_url`, a key
    /// generated at start-up, a cheap password hash (tests are not about hash
    /// cost) and the test admin.
    pub fn for_tests(database: platform::config::DatabaseSettings, users_url: impl Into<String>) -> Self {
        Self {
            base: BaseSettings::for_tests(database),
            users: ClientSettings::fixed("users", users_url),
            tokens: TokenSettings {
                signing_key_pem: None,
                access_ttl: Duration::from_secs(900),
                refresh_ttl: Duration::from_secs(3600),
            },
            password_cost: HashCost { memory_kib: 1024, iterations: 1 },
            bootstrap_admin: Some((
                Email::parse(TEST_ADMIN_EMAIL).expect("a valid address"),
                SecretString::from(TEST_ADMIN_PASSWORD),
            )),
        }
    }
}
