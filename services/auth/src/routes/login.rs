use axum::extract::State;
use platform::error::ErrorBody;
use platform::{ApiError, AppJson};

use crate::domain::Login;
use crate::passwords::verify_password;
use crate::routes::tokens::{TokenPair, issue_pair};
use crate::state::AppState;
use crate::store;

/// Exchanges e-mail and password for an access token and a refresh token
/// (which starts a new refresh family).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, description = "Wrong e-mail or password", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    AppJson(login): AppJson<Login>,
) -> Result<AppJson<TokenPair>, ApiError> {
    let email = login.email.trim().to_lowercase();
    let stored = store::find_by_email(&state.pool, &email).await?;
    // Verify even for an unknown address, against a dummy hash, so that the
    // answer's timing does not tell which addresses have accounts.
    let hash = stored.as_ref().map_or_else(|| state.dummy_hash.as_str().to_owned(), |c| c.password_hash.clone());
    let matches = verify_password(login.password, hash).await?;
    let Some(credentials) = stored.filter(|_| matches) else {
        tracing::info!("login refused");
        return Err(ApiError::unauthorized("invalid e-mail or password"));
    };
    let pair = issue_pair(&state, credentials.user_id, credentials.role, uuid::Uuid::now_v7()).await?;
    tracing::info!(user_id = %credentials.user_id, "logged in");
    Ok(AppJson(pair))
}
