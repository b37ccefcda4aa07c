//! The orders API, both versions. Public routes are registered through
//! `utoipa_axum`, so the OpenAPI document (`openapi()`) is read off the same
//! list the router is built from; internal routes are not documented.

mod checkout;
mod manage;
mod read;
mod v2;

use axum::Router;
use axum::routing::{get, post};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checkout::place_order, read::my_orders))
        .routes(routes!(read::order))
        .routes(routes!(manage::cancel))
        .routes(routes!(manage::ship))
        .merge(v2::routes())
}

pub fn router(state: AppState) -> Router {
    routes()
        .split_for_parts()
        .0
        .route("/internal/v1/orders/{id}/events", get(read::events))
        .route("/internal/v1/read-model/rebuild", post(manage::rebuild_read_model))
        .with_state(state)
}

/// The orders service's part of the public API, both versions.
pub fn openapi() -> OpenApi {
    routes().split_for_parts().1
}
