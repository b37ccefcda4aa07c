//! Settings of the catalog, all from the environment.

use platform::config::{BaseSettings, Env};

pub const DEFAULT_PORT: u16 = 8083;

/// The catalog needs nothing beyond what every service reads: where it
/// listens, its database, its telemetry. Tests use `Settings::for_tests`.
pub type Settings = BaseSettings;

pub fn from_env(env: &mut Env) -> Settings {
    BaseSettings::from_env(env, DEFAULT_PORT, "catalog")
}
