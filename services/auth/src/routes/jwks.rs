use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use platform::AppJson;

use crate::state::AppState;

/// The public keys that verify access tokens. Cacheable: keys change rarely
/// and verifiers refetch when they meet an unknown key id.
#[utoipa::path(get, path = "/api/v1/auth/jwks", tag = "auth",
    responses((status = 200, description = "A JSON Web Key Set (RFC 7517)", body = Object)))]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], AppJson(state.keys.jwks().clone()))
}
