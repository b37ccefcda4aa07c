//! Wiring: database, clients, order-event consumer, routes, server.

use std::sync::Arc;

use platform::messaging::broker::Broker;
use platform::messaging::consumer::{ConsumerMetrics, IdempotentConsumer};
use platform::server::{HttpServer, Service};

use crate::configuration::Settings;
use crate::consumer::{self, OrderNotifier};
use crate::metrics::NotificationMetrics;
use crate::routes;
use crate::state::AppState;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let broker = Arc::new(Broker::new(settings.broker.clone()));
    let (mut service, pool) = Service::with_own_database("notifications", settings.base, &MIGRATOR).await?;
    let users = service.client(settings.users.clone()).await;
    let email = service.client(settings.email.clone()).await;
    let consumer_metrics = ConsumerMetrics::register(service.registry());
    let metrics = NotificationMetrics::register(service.registry());

    let notifier = OrderNotifier { users: users.clone(), email: email.clone(), metrics };
    let consumer = IdempotentConsumer::new(broker.clone(), pool.clone(), consumer::queue(), notifier, consumer_metrics)
        .stop_when(service.stopping())
        .start()
        .await;

    let state = AppState { pool: pool.clone() };
    let server = service
        .run_beside("order-event consumer", consumer)
        // Without the broker nothing new arrives: this service has no other job.
        .check_ready(broker.readiness_check())
        .check_ready(email.readiness_check().optional())
        .bind(routes::router(state))
        .await?;
    Ok(server)
}
