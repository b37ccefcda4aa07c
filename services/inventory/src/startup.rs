//! Wiring: database, broker consumer, expiry sweeper, routes, server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use platform::messaging::broker::Broker;
use platform::messaging::consumer::{ConsumerMetrics, IdempotentConsumer};
use platform::server::{HttpServer, Service};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use sqlx::PgPool;

use crate::configuration::Settings;
use crate::{consumer, expiry, routes};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReservationLabels {
    /// reserved, insufficient, committed, cancelled, expired
    pub outcome: &'static str,
}

/// Business metrics of the inventory.
#[derive(Clone, Default)]
pub struct InventoryMetrics {
    pub reservation_outcomes: Family<ReservationLabels, Counter>,
}

impl InventoryMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "inventory_reservations",
            "Reservation operations by outcome",
            metrics.reservation_outcomes.clone(),
        );
        metrics
    }

    pub fn reservations(&self, outcome: &'static str) {
        self.reservation_outcomes.get_or_create(&ReservationLabels { outcome }).inc();
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub reservation_ttl: Duration,
    pub metrics: InventoryMetrics,
}

pub struct Application {
    server: HttpServer,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = platform::db::connect_and_migrate(&settings.database, &MIGRATOR).await?;
        let broker = Arc::new(Broker::new(settings.broker.clone()));
        let mut service = Service::new("inventory", settings.server);
        let metrics = InventoryMetrics::register(service.registry());
        let consumer_metrics = ConsumerMetrics::register(service.registry());

        let consumer = IdempotentConsumer::new(
            broker.clone(),
            pool.clone(),
            consumer::queue(),
            consumer::OrderEvents,
            consumer_metrics,
        )
        .stop_when(service.stopping())
        .start()
        .await;
        expiry::spawn(pool.clone(), settings.expiry_sweep, metrics.clone());

        let state = AppState { pool: pool.clone(), reservation_ttl: settings.reservation_ttl, metrics };
        let server = service
            .run_beside("order-event consumer", consumer)
            // Reservations work without the broker; only the event backstop waits.
            .check_ready(broker.readiness_check().optional())
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
