//! Configuration from environment variables: defaults first, then the
//! environment, every value parsed and checked before the service starts.
//!
//! All problems are collected and reported together, so a bad deployment
//! fails once with the full list instead of one variable per restart.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

/// Reads typed values out of a snapshot of the environment, remembering every
/// value that failed to parse.
pub struct Env {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// For tests: an environment that holds only these pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let vars = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self { vars, problems: Vec::new() }
    }

    pub fn optional(&self, key: &str) -> Option<String> {
        self.vars.get(key).filter(|v| !v.trim().is_empty()).cloned()
    }

    pub fn string(&self, key: &str, default: &str) -> String {
        self.optional(key).unwrap_or_else(|| default.to_owned())
    }

    /// A value that must be given; its absence is recorded as a problem.
    pub fn required(&mut self, key: &str) -> String {
        self.optional(key).unwrap_or_else(|| {
            self.problems.push(format!("{key} must be set"));
            String::new()
        })
    }

    /// Parses `key` or falls back to `default`; a value that does not parse is
    /// a problem (never silently replaced by the default).
    pub fn parse<T>(&mut self, key: &str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.optional(key) {
            None => default,
            Some(raw) => match raw.trim().parse() {
                Ok(value) => value,
                Err(error) => {
                    self.problems.push(format!("{key}={raw:?}: {error}"));
                    default
                }
            },
        }
    }

    /// A whole number within `range`.
    pub fn number_in<T>(&mut self, key: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(key, default);
        if !range.contains(&value) {
            self.problems.push(format!("{key}={value}: must be between {} and {}", range.start(), range.end()));
        }
        value
    }

    /// A duration given in milliseconds, which must be positive.
    pub fn millis(&mut self, key: &str, default_ms: u64) -> Duration {
        let ms = self.parse(key, default_ms);
        if ms == 0 {
            self.problems.push(format!("{key}=0: must be a positive number of milliseconds"));
        }
        Duration::from_millis(ms)
    }

    /// A duration given in milliseconds, where 0 means "none".
    pub fn millis_or_zero(&mut self, key: &str, default_ms: u64) -> Duration {
        Duration::from_millis(self.parse(key, default_ms))
    }

    /// A secret: kept in a wrapper whose Debug output is redacted.
    pub fn secret(&self, key: &str, default: &str) -> SecretString {
        SecretString::from(self.string(key, default))
    }

    /// Records a problem found by a check across several values.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// Ends reading: `Err` lists every problem seen.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() { Ok(()) } else { Err(ConfigError(self.problems)) }
    }
}

/// Every configuration problem found, printed one per line.
#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// How the HTTP server listens and protects itself.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: IpAddr,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// How long after SIGTERM the process may take, in all, to stop.
    pub shutdown_grace: Duration,
    /// After SIGTERM, how long the server goes on answering (with `/ready`
    /// at 503) before it refuses new connections: the time a load balancer
    /// or Kubernetes needs to take it out of rotation. Part of the grace.
    pub shutdown_delay: Duration,
    /// Upper bound on one request's handling time; answered 504 after it.
    pub request_timeout: Duration,
    /// Larger bodies are refused with 413 before they are read.
    pub max_body_bytes: usize,
    /// Requests beyond this many in flight are shed with a fast 503.
    pub max_concurrent_requests: usize,
}

impl ServerSettings {
    pub fn from_env(env: &mut Env, default_port: u16) -> Self {
        let settings = Self {
            host: env.parse("HOST", IpAddr::from([127, 0, 0, 1])),
            port: env.parse("PORT", default_port),
            shutdown_grace: env.millis("SHUTDOWN_GRACE_MS", 10_000),
            shutdown_delay: env.millis_or_zero("SHUTDOWN_DELAY_MS", 0),
            request_timeout: env.millis("REQUEST_TIMEOUT_MS", 10_000),
            max_body_bytes: env.number_in("MAX_BODY_BYTES", 64 * 1024, 1..=64 * 1024 * 1024),
            max_concurrent_requests: env.number_in("MAX_CONCURRENT_REQUESTS", 512, 1..=100_000),
        };
        if settings.shutdown_delay >= settings.shutdown_grace {
            env.problem("SHUTDOWN_DELAY_MS must be shorter than SHUTDOWN_GRACE_MS (the delay is part of the grace)");
        }
        settings
    }

    /// Settings for tests: loopback, random port.
    pub fn for_tests() -> Self {
        Self::from_env(&mut Env::from_pairs([("PORT", "0")]), 0)
    }
}

/// Where this service's own database lives.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    /// Waiting longer than this for a pooled connection answers 503.
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    /// `default_database` is the service's own database name on the shared
    /// development server (one server, a database per service).
    pub fn from_env(env: &mut Env, default_database: &str) -> Self {
        let default_url = format!("postgres://shop:shop-dev-password@127.0.0.1:5432/{default_database}");
        let url = env.string("DATABASE_URL", &default_url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            env.problem("DATABASE_URL: must start with postgres:// or postgresql://");
        }
        Self {
            url: SecretString::from(url),
            max_connections: env.number_in("DATABASE_MAX_CONNECTIONS", 10, 1..=1000),
            acquire_timeout: env.millis("DATABASE_ACQUIRE_TIMEOUT_MS", 3_000),
        }
    }
}

/// Logs and traces.
#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    /// An `EnvFilter` directive, e.g. `info,sqlx=warn`.
    pub log_filter: String,
    /// `deployment.environment` (`DEPLOYMENT_ENVIRONMENT`, default `local`),
    /// on spans and log records alike.
    pub environment: String,
    /// `None` when the OpenTelemetry SDK is off (`OTEL_SDK_DISABLED=true`):
    /// no spans at all.
    pub traces: Option<TracesSettings>,
    /// Where log records go over OTLP, beside the JSON lines on stdout: the
    /// same `OTEL_EXPORTER_OTLP_ENDPOINT` as spans (one endpoint per service,
    /// a collector's); `None` with `OTEL_LOGS_EXPORTER=none` or the SDK off.
    pub logs_endpoint: Option<String>,
}

/// Where and how much to trace.
#[derive(Debug, Clone)]
pub struct TracesSettings {
    /// OTLP gRPC endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, default
    /// `http://127.0.0.1:4317`); `None` when export is off
    /// (`OTEL_TRACES_EXPORTER=none`, where no collector runs): spans are
    /// still created and sampled, so log lines carry their trace id and
    /// `/metrics` its exemplars, but none leaves the process.
    pub endpoint: Option<String>,
    /// Fraction of new traces kept (`OTEL_TRACES_SAMPLER_ARG`, 0..=1, default 1);
    /// a request that arrives sampled or not keeps its caller's decision.
    pub sampling_ratio: f64,
}

impl TelemetrySettings {
    pub fn from_env(env: &mut Env) -> Self {
        let log_filter =
            env.optional("RUST_LOG").unwrap_or_else(|| env.string("LOG_LEVEL", "info,sqlx=warn,tower_http=warn"));
        if tracing_subscriber::EnvFilter::try_new(&log_filter).is_err() {
            env.problem(format!("RUST_LOG/LOG_LEVEL={log_filter:?}: not a valid filter"));
        }
        let disabled = env.parse("OTEL_SDK_DISABLED", false);
        let endpoint = url(env, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317");
        let mut exporter = |signal: &str| match env.string(&format!("OTEL_{signal}_EXPORTER"), "otlp").as_str() {
            "otlp" => Some(endpoint.clone()),
            "none" => None,
            other => {
                env.problem(format!("OTEL_{signal}_EXPORTER={other:?}: otlp or none"));
                None
            }
        };
        let (traces_endpoint, logs_endpoint) = (exporter("TRACES"), exporter("LOGS"));
        let sampling_ratio = env.parse("OTEL_TRACES_SAMPLER_ARG", 1.0);
        if !(0.0..=1.0).contains(&sampling_ratio) {
            env.problem(format!("OTEL_TRACES_SAMPLER_ARG={sampling_ratio}: must be between 0 and 1"));
        }
        let environment = env.string("DEPLOYMENT_ENVIRONMENT", "local");
        Self {
            log_filter,
            environment,
            traces: (!disabled).then_some(TracesSettings { endpoint: traces_endpoint, sampling_ratio }),
            logs_endpoint: logs_endpoint.filter(|_| !disabled),
        }
    }

    /// Logs at `log_filter` on stdout only: no spans, nothing exported.
    pub fn logs_only(log_filter: &str) -> Self {
        Self { log_filter: log_filter.into(), environment: "local".into(), traces: None, logs_endpoint: None }
    }

    /// Every span sampled and exported, and every log record, to the OTLP
    /// receiver at `endpoint` (tests, benchmarks).
    pub fn exporting_to(endpoint: &str, log_filter: &str) -> Self {
        Self {
            log_filter: log_filter.into(),
            environment: "test".into(),
            traces: Some(TracesSettings { endpoint: Some(endpoint.into()), sampling_ratio: 1.0 }),
            logs_endpoint: Some(endpoint.into()),
        }
    }

    /// Tests: logs at info (shown with `TEST_LOG`), no trace export.
    pub fn for_tests() -> Self {
        Self::logs_only("info")
    }
}

/// What every service with a database reads the same way: where it listens,
/// its own database and its telemetry. Each service's `Settings` holds one as
/// `base` beside what is its own.
#[derive(Debug, Clone)]
pub struct BaseSettings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
}

impl BaseSettings {
    /// `default_port` and `database` (the service's own database name on the
    /// shared development server) are the service's defaults.
    pub fn from_env(env: &mut Env, default_port: u16, database: &str) -> Self {
        Self {
            server: ServerSettings::from_env(env, default_port),
            database: DatabaseSettings::from_env(env, database),
            telemetry: TelemetrySettings::from_env(env),
        }
    }

    /// Tests: loopback on a random port, this database, no trace export.
    pub fn for_tests(database: DatabaseSettings) -> Self {
        Self { server: ServerSettings::for_tests(), database, telemetry: TelemetrySettings::for_tests() }
    }
}

/// A base URL of another service, e.g. `http://users:8080`.
pub fn url(env: &mut Env, key: &str, default: &str) -> String {
    let value = env.string(key, default);
    if !(value.starts_with("http://") || value.starts_with("https://")) {
        env.problem(format!("{key}={value:?}: must be an http:// or https:// URL"));
    }
    value.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let mut env = Env::from_pairs::<&str, &str>([]);
        let server = ServerSettings::from_env(&mut env, 8083);
        let db = DatabaseSettings::from_env(&mut env, "catalog");
        env.finish().unwrap();
        assert_eq!(server.port, 8083);
        assert!(db.url.expose_secret().ends_with("/catalog"));
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let mut env =
            Env::from_pairs([("PORT", "eighty"), ("DATABASE_MAX_CONNECTIONS", "0"), ("DATABASE_URL", "mysql://x")]);
        ServerSettings::from_env(&mut env, 8080);
        DatabaseSettings::from_env(&mut env, "users");
        let error = env.finish().unwrap_err();
        let text = error.to_string();
        assert_eq!(error.0.len(), 3, "{text}");
        assert!(text.contains("PORT=\"eighty\""), "{text}");
        assert!(text.contains("DATABASE_MAX_CONNECTIONS=0"), "{text}");
        assert!(text.contains("DATABASE_URL"), "{text}");
    }

    #[test]
    fn the_shutdown_delay_may_be_zero_and_must_be_shorter_than_the_grace() {
        let mut env = Env::from_pairs([("SHUTDOWN_DELAY_MS", "0")]);
        assert_eq!(ServerSettings::from_env(&mut env, 8080).shutdown_delay, Duration::ZERO);
        env.finish().unwrap();
        let mut env = Env::from_pairs([("SHUTDOWN_DELAY_MS", "5000"), ("SHUTDOWN_GRACE_MS", "5000")]);
        ServerSettings::from_env(&mut env, 8080);
        assert!(env.finish().unwrap_err().to_string().contains("SHUTDOWN_DELAY_MS must be shorter"));
    }

    #[test]
    fn spans_stay_on_without_an_exporter_and_an_unknown_exporter_is_refused() {
        let mut env = Env::from_pairs([("OTEL_TRACES_EXPORTER", "none")]);
        let settings = TelemetrySettings::from_env(&mut env);
        env.finish().unwrap();
        assert!(settings.traces.is_some_and(|traces| traces.endpoint.is_none()), "spans on, export off");
        let mut env = Env::from_pairs([("OTEL_SDK_DISABLED", "true")]);
        assert!(TelemetrySettings::from_env(&mut env).traces.is_none(), "the SDK off: no spans");
        let mut env = Env::from_pairs([("OTEL_TRACES_EXPORTER", "jaeger")]);
        TelemetrySettings::from_env(&mut env);
        assert!(env.finish().unwrap_err().to_string().contains("OTEL_TRACES_EXPORTER=\"jaeger\""));
    }

    #[test]
    fn log_records_go_to_the_spans_endpoint_unless_turned_off() {
        let mut env = Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317")]);
        let settings = TelemetrySettings::from_env(&mut env);
        env.finish().unwrap();
        assert_eq!(settings.logs_endpoint.as_deref(), Some("http://otel-collector:4317"));
        assert_eq!(settings.traces.unwrap().endpoint, settings.logs_endpoint, "one endpoint for both signals");
        let mut env = Env::from_pairs([("OTEL_LOGS_EXPORTER", "none")]);
        assert_eq!(TelemetrySettings::from_env(&mut env).logs_endpoint, None);
        env.finish().unwrap();
        let mut env = Env::from_pairs([("OTEL_SDK_DISABLED", "true")]);
        assert_eq!(TelemetrySettings::from_env(&mut env).logs_endpoint, None, "the SDK off: nothing exported");
        let mut env = Env::from_pairs([("OTEL_LOGS_EXPORTER", "loki")]);
        TelemetrySettings::from_env(&mut env);
        assert!(env.finish().unwrap_err().to_string().contains("OTEL_LOGS_EXPORTER=\"loki\""));
    }

    #[test]
    fn secrets_do_not_print() {
        let mut env = Env::from_pairs([("DATABASE_URL", "postgres://u:topsecret@h/db")]);
        let db = DatabaseSettings::from_env(&mut env, "users");
        assert!(!format!("{db:?}").contains("topsecret"));
    }
}
