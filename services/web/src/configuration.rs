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
    /// The control room's sources: chaos-proxy's API (`CHAOS_PROXY_URL`)
    /// and Prometheus (`PROMETHEUS_URL`).
    pub chaos_proxy: ClientSettings,
    pub prometheus: ClientSettings,
    /// The experiment desk (`CHAOS_DESK_URL`): experiments and load.
    pub chaos_desk: ClientSettings,
    /// Where the control room's dashboard links point (`WEB_GRAFANA_URL`).
    pub grafana_url: String,
}

pub fn from_env(env: &mut Env) -> Settings {
    Settings {
        server: ServerSettings::from_env(env, DEFAULT_PORT),
        telemetry: TelemetrySettings::from_env(env),
        gateway: ClientSettings::from_env(env, "gateway", "GATEWAY", "http://127.0.0.1:8080"),
        jaeger_url: url(env, "WEB_JAEGER_URL", "http://localhost:16686"),
        csrf_secret: env.secret("WEB_CSRF_SECRET", "dev-only-csrf-secret-change-me"),
        chaos_proxy: ClientSettings::from_env(env, "chaos-proxy", "CHAOS_PROXY", "http://127.0.0.1:8474"),
        prometheus: ClientSettings::from_env(env, "prometheus", "PROMETHEUS", "http://127.0.0.1:9090"),
        chaos_desk: ClientSettings::from_env(env, "chaos-desk", "CHAOS_DESK", "http://127.0.0.1:8475"),
        grafana_url: url(env, "WEB_GRAFANA_URL", "http://localhost:3000"),
    }
}

impl Settings {
    /// Tests: the storefront in front of the gateway at `gateway_url`
    /// (the control room's sources nowhere; `with_control_room` sets them).
    pub fn for_tests(gateway_url: &str) -> Self {
        Self {
            server: ServerSettings::for_tests(),
            telemetry: TelemetrySettings::for_tests(),
            gateway: ClientSettings::fixed("gateway", gateway_url),
            jaeger_url: "http://jaeger.test:16686".into(),
            csrf_secret: "test-only-csrf-secret".into(),
            chaos_proxy: ClientSettings::fixed("chaos-proxy", "http://127.0.0.1:9"),
            prometheus: ClientSettings::fixed("prometheus", "http://127.0.0.1:9"),
            chaos_desk: ClientSettings::fixed("chaos-desk", "http://127.0.0.1:9"),
            grafana_url: "http://grafana.test:3000".into(),
        }
    }

    /// The control room reading chaos-proxy's API and Prometheus at these URLs.
    pub fn with_control_room(mut self, chaos_proxy_url: &str, prometheus_url: &str) -> Self {
        self.chaos_proxy = ClientSettings::fixed("chaos-proxy", chaos_proxy_url);
        self.prometheus = ClientSettings::fixed("prometheus", prometheus_url);
        self
    }

    /// The control room's experiments and load from the desk at `desk_url`.
    pub fn with_desk(mut self, desk_url: &str) -> Self {
        self.chaos_desk = ClientSettings::fixed("chaos-desk", desk_url);
        self
    }
}
