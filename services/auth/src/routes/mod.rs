//! The auth service's HTTP API.

mod jwks;
mod login;
mod register;
mod tokens;

use axum::Router;
use axum::routing::get;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Public routes, registered with their documentation (see `openapi()`).
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register::register))
        .routes(routes!(login::login))
        .routes(routes!(tokens::refresh))
        .routes(routes!(tokens::logout))
        .routes(routes!(tokens::verify))
        .routes(routes!(jwks::jwks))
}

pub fn router(state: AppState) -> Router {
    routes().split_for_parts().0.route("/.well-known/jwks.json", get(jwks::jwks)).with_state(state)
}

/// The auth service's part of the public API.
pub fn openapi() -> OpenApi {
    routes().split_for_parts().1
}
