//! The catalog's HTTP API, one file per resource.

mod categories;
mod products;
mod recommendations;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/categories", get(categories::list).post(categories::create))
        .route("/api/v1/products", get(products::list).post(products::create))
        .route("/api/v1/products/{id}", get(products::detail).patch(products::update).delete(products::delete))
        .route("/api/v1/products/{id}/recommendations", get(recommendations::for_product))
        .route("/api/v1/recommendations", get(recommendations::general))
        .with_state(state)
}
