//! What every handler shares.

use std::time::Duration;

use sqlx::PgPool;

use crate::metrics::InventoryMetrics;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub reservation_ttl: Duration,
    pub metrics: InventoryMetrics,
}
