//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;

use crate::clients::Clients;
use crate::saga::SagaRunner;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub clients: Clients,
    pub saga: Arc<SagaRunner>,
    /// Wakes the outbox relay after a commit.
    pub outbox: Arc<Notify>,
    pub checkout_wait: Duration,
    pub saga_lease: Duration,
}
