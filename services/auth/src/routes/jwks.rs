use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use platform::AppJson;

use crate::state::AppState;

/// The public keys that verify access tokens. Cacheable: keys change rarely
/// and verifiers refetch when they meet an unknown key id.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], AppJson(state.keys.jwks().clone()))
}
