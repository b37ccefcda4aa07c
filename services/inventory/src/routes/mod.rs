//! The inventory's HTTP API: public availability, admin restock, and the
//! internal reservation calls the order saga makes.

mod reservations;
mod stock;

use axum::Router;
use axum::routing::{get, post, put};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Public routes, registered with their documentation (see `openapi()`).
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stock::availability)).routes(routes!(stock::restock))
}

/// The inventory's part of the public API.
pub fn openapi() -> OpenApi {
    routes().split_for_parts().1
}

pub fn router(state: AppState) -> Router {
    routes()
        .split_for_parts()
        .0
        .route("/internal/v1/stock/{product_id}", get(stock::detail))
        .route("/internal/v1/reservations/{order_id}", put(reservations::reserve).get(reservations::status))
        .route("/internal/v1/reservations/{order_id}/commit", post(reservations::commit))
        .route("/internal/v1/reservations/{order_id}/cancel", post(reservations::cancel))
        .with_state(state)
}
