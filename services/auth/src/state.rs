//! What every handler shares.

use std::sync::Arc;

use platform::client::ServiceClient;
use sqlx::PgPool;

use crate::configuration::TokenSettings;
use crate::keys::SigningKeys;
use crate::passwords::HashCost;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub keys: Arc<SigningKeys>,
    pub users: ServiceClient,
    pub tokens: TokenSettings,
    pub password_cost: HashCost,
    /// Verified against when the e-mail is unknown, so that a login for a
    /// missing account takes as long as one with a wrong password.
    pub dummy_hash: Arc<String>,
}
