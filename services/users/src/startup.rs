//! Wiring: database, state, routes, server.

use platform::server::{HttpServer, Service};

use crate::configuration::Settings;
use crate::routes;
use crate::state::AppState;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let pool = platform::db::connect_and_migrate(&settings.database, &MIGRATOR).await?;
    let state = AppState { pool: pool.clone() };
    let server = Service::new("users", settings.server).with_database(pool).bind(routes::router(state)).await?;
    Ok(server)
}
