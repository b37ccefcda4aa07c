//! API v2 of products: money as `{"amount":"12.50","currency":"EUR"}` and
//! cursor pagination (docs/api.md says why). Served from the same store and
//! rules as v1: only the wire shape differs.

mod product;
mod products;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products::list, products::create))
        .routes(routes!(products::detail, products::update, products::delete))
        .routes(routes!(products::recommendations_for_product))
        .routes(routes!(products::recommendations))
}
