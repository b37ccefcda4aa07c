//! Wiring: database, state, routes, server.

use std::net::SocketAddr;

use platform::server::{HttpServer, Service};
use sqlx::PgPool;

use crate::configuration::Settings;
use crate::routes;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

pub struct Application {
    server: HttpServer,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = platform::db::connect_and_migrate(&settings.database, &MIGRATOR).await?;
        let state = AppState { pool: pool.clone() };
        let server = Service::new("users", settings.server).with_database(pool).bind(routes::router(state)).await?;
        Ok(Self { server })
    }

    pub fn address(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.run_until_stopped().await
    }

    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        self.server.run_until(shutdown).await
    }
}
