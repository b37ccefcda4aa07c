//! What every handler shares.

use platform::client::ServiceClient;
use sqlx::PgPool;

use crate::metrics::PaymentMetrics;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub provider: ServiceClient,
    pub metrics: PaymentMetrics,
}
