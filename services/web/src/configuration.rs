//! Settings of the storefront, all from the environment.

use platform::client::ClientSettings;
use platform::config::{Env, ServerSettings, TelemetrySettings, url};
use secrecy::SecretString;

pub const DEFAULT_PORT: u16 = 8088;

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub telemetry: TelemetrySettings,
    /// The shop's public API (`GATEWAY_URL`): the pages know nothing else.
    pub gateway: ClientSettings,
    /// Where the "trace" link of every page points (`WEB_JAEGER_URL`): the
    /// Jaeger UI as the user's browser reaches it.
    pub jaeger_url: String,
    /// Signs the CSRF tokens of the forms (`WEB_CSRF_SECRET`); every
    /// replica must have the same one.
    pub csrf_secret: SecretString,
}

pub fn from_env(env: &mut Env) -> Settings {
    Settings {
        server: ServerSettings::from_env(env, DEFAULT_PORT),
        telemetry: TelemetrySettings::from_env(env),
        gateway: ClientSettings::from_env(env, "gateway", "GATEWAY", "http://127.0.0.1:8080"),
        jaeger_url: url(env, "WEB_JAEGER_URL", "http://localhost:16686"),
        csrf_secret: env.secret("WEB_CSRF_SECRET", "dev-only-csrf-secret-change-me"),
    }
}

impl Settings {
    /// Tests: the storefront in front of the gateway at `gateway_url`.
    pub fn for_tests(gateway_url: &str) -> Self {
        Self {
            server: ServerSettings::for_tests(),
            telemetry: TelemetrySettings::for_tests(),
            gateway: ClientSettings::fixed("gateway", gateway_url),
            jaeger_url: "http://jaeger.test:16686".into(),
            csrf_secret: "test-only-csrf-secret".into(),
        }
    }
}
