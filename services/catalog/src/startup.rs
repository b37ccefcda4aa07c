//! Wiring: database, state, routes, server.

use platform::server::{HttpServer, Service};

use crate::configuration::Settings;
use crate::routes;
use crate::state::AppState;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let (service, pool) = Service::with_own_database("catalog", settings, &MIGRATOR).await?;
    let state = AppState { pool };
    service.bind(routes::router(state)).await
}
