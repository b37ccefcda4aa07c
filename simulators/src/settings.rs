//! Settings of a simulator, all from the environment: where it listens, its
//! telemetry and how it behaves (latency, failures, declines).

use platform::config::{Env, ServerSettings, TelemetrySettings};

use crate::behaviour::Behaviour;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub telemetry: TelemetrySettings,
    pub behaviour: Behaviour,
}

impl Settings {
    /// `prefix` names the behaviour's variables (`<PREFIX>_LATENCY_MS`, …).
    pub fn from_env(env: &mut Env, default_port: u16, prefix: &str) -> Self {
        Self {
            server: ServerSettings::from_env(env, default_port),
            telemetry: TelemetrySettings::from_env(env),
            behaviour: Behaviour::from_env(env, prefix),
        }
    }

    /// Tests: loopback on a random port, answering at once and never failing.
    pub fn for_tests() -> Self {
        Self {
            server: ServerSettings::for_tests(),
            telemetry: TelemetrySettings::for_tests(),
            behaviour: Behaviour::NONE,
        }
    }
}
