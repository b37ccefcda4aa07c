//! The service's Postgres pool: connected (waiting for the server while it
//! starts), migrated with the service's own migrations, bounded in size.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::DatabaseSettings;

pub use platform_macros::query_span;

/// How long start-up waits for the database before giving up.
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

/// Connects and runs `migrator`. Migrations are idempotent and serialised by
/// sqlx's advisory lock, so several instances may start at once.
pub async fn connect_and_migrate(settings: &DatabaseSettings, migrator: &Migrator) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = settings
        .url
        .expose_secret()
        .parse::<PgConnectOptions>()
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid Postgres URL: {e}"))?;
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_lazy_with(options);

    let started = Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        match pool.acquire().await {
            Ok(_) => break,
            Err(error) if started.elapsed() < STARTUP_DEADLINE => {
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(error) => {
                return Err(anyhow::anyhow!("database not reachable after {STARTUP_DEADLINE:?}: {error}"));
            }
        }
    }
    migrator.run(&pool).await.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(pool)
}

/// Reports the pool's connections at every scrape, after the OpenTelemetry
/// database client conventions: `db_client_connections_usage{state}` and
/// `db_client_connections_max`.
#[derive(Debug)]
pub struct PoolCollector {
    pool: PgPool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct ConnectionState {
    state: &'static str,
}

impl PoolCollector {
    pub fn register(registry: &mut prometheus_client::registry::Registry, pool: PgPool) {
        registry.register_collector(Box::new(Self { pool }));
    }
}

impl prometheus_client::collector::Collector for PoolCollector {
    fn encode(&self, mut encoder: prometheus_client::encoding::DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::gauge::ConstGauge;
        let size = i64::from(self.pool.size());
        let idle = self.pool.num_idle() as i64;
        let max = i64::from(self.pool.options().get_max_connections());
        let mut usage = encoder.encode_descriptor(
            "db_client_connections_usage",
            "Connections of the database pool, by state",
            None,
            ConstGauge::new(0i64).metric_type(),
        )?;
        for (state, value) in [("idle", idle), ("used", size - idle)] {
            ConstGauge::new(value).encode(usage.encode_family(&ConnectionState { state })?)?;
        }
        let gauge = ConstGauge::new(max);
        gauge.encode(encoder.encode_descriptor(
            "db_client_connections_max",
            "Most connections the pool opens",
            None,
            gauge.metric_type(),
        )?)?;
        Ok(())
    }
}
