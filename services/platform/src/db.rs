//! The service's Postgres pool: connected (waiting for the server while it
//! starts), migrated with the service's own migrations, bounded in size.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::DatabaseSettings;

/// How long start-up waits for the database before giving up.
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

/// Connects and runs `migrator`. Migrations are idempotent and serialised by
/// sqlx's advisory lock, so several instances may start at once.
pub async fn connect_and_migrate(
    settings: &DatabaseSettings,
    migrator: &Migrator,
) -> anyhow::Result<PgPool> {
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
                return Err(anyhow::anyhow!(
                    "database not reachable after {STARTUP_DEADLINE:?}: {error}"
                ));
            }
        }
    }
    migrator
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(pool)
}
