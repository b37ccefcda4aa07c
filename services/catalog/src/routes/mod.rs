//! The catalog's HTTP API, one file per resource, and API v2 beside v1.
//!
//! Routes are registered through `utoipa_axum`, so that every route served
//! is a route documented: the OpenAPI document (`openapi()`) is read off the
//! same list the router is built from, and cannot drift from it.

mod categories;
mod products;
mod recommendations;
mod v2;

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(categories::list, categories::create))
        .routes(routes!(products::list, products::create))
        .routes(routes!(products::detail, products::update, products::delete))
        .routes(routes!(recommendations::for_product))
        .routes(routes!(recommendations::general))
        .merge(v2::routes())
}

pub fn router(state: AppState) -> Router {
    routes().split_for_parts().0.with_state(state)
}

/// The catalog's part of the public API, both versions.
pub fn openapi() -> OpenApi {
    routes().split_for_parts().1
}
