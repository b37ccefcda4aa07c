//! What every handler shares.

use sqlx::PgPool;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}
