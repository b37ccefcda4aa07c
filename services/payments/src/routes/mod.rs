//! The payments API (internal: the order saga calls it; it is not published
//! through the gateway).

mod charges;
mod refunds;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/payments", post(charges::charge).get(charges::list_for_order))
        .route("/api/v1/payments/{id}", get(charges::detail))
        .route("/api/v1/payments/{id}/refund", post(refunds::refund))
        .route("/internal/v1/orders/{order_id}/refund", post(refunds::refund_order))
        .with_state(state)
}
