//! The users service's HTTP API.
//!
//! `/internal/...` routes are for other services (auth creates profiles on
//! registration); the gateway does not expose them.

mod internal;
mod profiles;

use axum::Router;
use axum::routing::put;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Public routes, registered with their documentation (see `openapi()`).
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(profiles::list))
        .routes(routes!(profiles::me, profiles::update_me))
        .routes(routes!(profiles::by_id, profiles::update_by_id))
}

pub fn router(state: AppState) -> Router {
    routes()
        .split_for_parts()
        .0
        .route("/internal/v1/profiles/{id}", put(internal::create_profile).get(internal::profile))
        .with_state(state)
}

/// The users service's part of the public API.
pub fn openapi() -> OpenApi {
    routes().split_for_parts().1
}
