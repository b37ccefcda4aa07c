//! Wiring: database, provider client, routes, server.

use std::net::SocketAddr;

use platform::client::ServiceClient;
use platform::server::{HttpServer, Service};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use sqlx::PgPool;

use crate::configuration::Settings;
use crate::routes;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PaymentLabels {
    /// charge or refund
    pub operation: &'static str,
    /// captured, declined, refunded, failed
    pub outcome: &'static str,
}

#[derive(Clone, Default)]
pub struct PaymentMetrics {
    pub payments: Family<PaymentLabels, Counter>,
}

impl PaymentMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("payments", "Payment operations by outcome", metrics.payments.clone());
        metrics
    }

    pub fn count(&self, operation: &'static str, outcome: &'static str) {
        self.payments.get_or_create(&PaymentLabels { operation, outcome }).inc();
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub provider: ServiceClient,
    pub metrics: PaymentMetrics,
}

pub struct Application {
    server: HttpServer,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = platform::db::connect_and_migrate(&settings.database, &MIGRATOR).await?;
        let mut service = Service::new("payments", settings.server);
        let provider = service.client(settings.provider.clone()).await;
        let metrics = PaymentMetrics::register(service.registry());
        let state = AppState { pool: pool.clone(), provider: provider.clone(), metrics };
        let server = service
            .check_ready(provider.readiness_check().optional())
            .with_database(pool)
            .bind(routes::router(state))
            .await?;
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
