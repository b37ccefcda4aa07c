//! The orders API.

mod checkout;
mod manage;
mod read;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/orders", post(checkout::place_order).get(read::my_orders))
        .route("/api/v1/orders/{id}", get(read::order))
        .route("/api/v1/orders/{id}/cancel", post(manage::cancel))
        .route("/api/v1/orders/{id}/ship", post(manage::ship))
        .route("/internal/v1/orders/{id}/events", get(read::events))
        .route("/internal/v1/read-model/rebuild", post(manage::rebuild_read_model))
        .with_state(state)
}
