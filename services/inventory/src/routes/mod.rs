//! The inventory's HTTP API: public availability, admin restock, and the
//! internal reservation calls the order saga makes.

mod reservations;
mod stock;

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/inventory/{product_id}", get(stock::availability))
        .route("/api/v1/inventory/{product_id}/restock", post(stock::restock))
        .route("/internal/v1/stock/{product_id}", get(stock::detail))
        .route("/internal/v1/reservations/{order_id}", put(reservations::reserve).get(reservations::status))
        .route("/internal/v1/reservations/{order_id}/commit", post(reservations::commit))
        .route("/internal/v1/reservations/{order_id}/cancel", post(reservations::cancel))
        .with_state(state)
}
