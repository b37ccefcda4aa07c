//! Wiring: database, clients, broker, outbox relay, saga runner and
//! recovery, routes, server.

use std::sync::Arc;
use std::time::Duration;

use platform::messaging::broker::Broker;
use platform::messaging::outbox::{OutboxMetrics, OutboxRelay};
use platform::messaging::topology;
use platform::server::{HttpServer, Service};

use crate::clients::Clients;
use crate::configuration::Settings;
use crate::metrics::SagaMetrics;
use crate::routes;
use crate::saga::{SagaRunner, spawn_recovery};
use crate::state::AppState;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    // A checkout answers (202, pending) before the server's own time
    // limit would cut it with a 504 that tells the client nothing.
    let checkout_wait =
        settings.saga.checkout_wait.min(settings.base.server.request_timeout.saturating_sub(Duration::from_secs(1)));
    let (mut service, pool) = Service::with_own_database("orders", settings.base, &MIGRATOR).await?;
    let clients = Clients {
        catalog: service.client(settings.catalog.clone()).await,
        inventory: service.client(settings.inventory.clone()).await,
        payments: service.client(settings.payments.clone()).await,
    };
    let saga_metrics = SagaMetrics::register(service.registry());
    let outbox_metrics = OutboxMetrics::register(service.registry());

    // orders' events are kept in their consumers' queues even when it
    // publishes before those consumers ever connected.
    let broker = Arc::new(Broker::new(settings.broker.clone()).declaring(topology::order_event_queues()));
    let relay = OutboxRelay::new("orders", pool.clone(), broker.clone(), outbox_metrics).stop_when(service.stopping());
    let outbox = relay.waker();
    let relay = relay.spawn();

    let runner =
        Arc::new(SagaRunner::new(pool.clone(), clients.clone(), settings.saga.clone(), outbox.clone(), saga_metrics));
    spawn_recovery(runner.clone(), settings.saga.recovery_sweep);

    let state = AppState {
        pool: pool.clone(),
        clients: clients.clone(),
        saga: runner,
        outbox,
        checkout_wait,
        saga_lease: settings.saga.lease,
    };
    let server = service
        .run_beside("outbox relay", relay)
        // Checkout degrades without these (orders are cancelled or wait);
        // report them, do not take orders out of rotation.
        .check_ready(clients.inventory.readiness_check().optional())
        .check_ready(clients.payments.readiness_check().optional())
        .check_ready(broker.readiness_check().optional())
        .bind(routes::router(state))
        .await?;
    Ok(server)
}
