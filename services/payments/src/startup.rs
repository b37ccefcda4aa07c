//! Wiring: database, provider client, routes, server.

use platform::server::{HttpServer, Service};

use crate::configuration::Settings;
use crate::metrics::PaymentMetrics;
use crate::routes;
use crate::state::AppState;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let (mut service, pool) = Service::with_own_database("payments", settings.base, &MIGRATOR).await?;
    let provider = service.client(settings.provider.clone()).await;
    let metrics = PaymentMetrics::register(service.registry());
    let state = AppState { pool: pool.clone(), provider: provider.clone(), metrics };
    let server = service.check_ready(provider.readiness_check().optional()).bind(routes::router(state)).await?;
    Ok(server)
}
