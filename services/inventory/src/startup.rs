//! Wiring: database, broker consumer, expiry sweeper, routes, server.

use std::sync::Arc;

use platform::messaging::broker::Broker;
use platform::messaging::consumer::{ConsumerMetrics, IdempotentConsumer};
use platform::server::{HttpServer, Service};

use crate::configuration::Settings;
use crate::metrics::InventoryMetrics;
use crate::state::AppState;
use crate::{consumer, expiry, routes};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let broker = Arc::new(Broker::new(settings.broker.clone()));
    let (mut service, pool) = Service::with_own_database("inventory", settings.base, &MIGRATOR).await?;
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
        .bind(routes::router(state))
        .await?;
    Ok(server)
}
