//! The users service's HTTP API.
//!
//! `/internal/...` routes are for other services (auth creates profiles on
//! registration); the gateway does not expose them.

mod internal;
mod profiles;

use axum::Router;
use axum::routing::{get, put};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/users", get(profiles::list))
        .route("/api/v1/users/me", get(profiles::me).patch(profiles::update_me))
        .route("/api/v1/users/{id}", get(profiles::by_id).patch(profiles::update_by_id))
        .route("/internal/v1/profiles/{id}", put(internal::create_profile).get(internal::profile))
        .with_state(state)
}
