//! The auth service's HTTP API.

mod jwks;
mod login;
mod register;
mod tokens;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/auth/register", post(register::register))
        .route("/api/v1/auth/login", post(login::login))
        .route("/api/v1/auth/refresh", post(tokens::refresh))
        .route("/api/v1/auth/logout", post(tokens::logout))
        .route("/api/v1/auth/verify", post(tokens::verify))
        .route("/api/v1/auth/jwks", get(jwks::jwks))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .with_state(state)
}
