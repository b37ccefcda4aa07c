use axum::extract::State;
use axum::http::StatusCode;
use platform::email::Email;
use platform::error::DbResultExt;
use platform::{ApiError, AppJson, AppPath};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::DisplayName;
use crate::state::AppState;
use crate::store::{self, Profile};

#[derive(Deserialize)]
pub struct NewProfile {
    email: Email,
    display_name: DisplayName,
}

/// `PUT /internal/v1/profiles/{id}`: idempotent; 201 when created, 200 when
/// it already existed with the same address, 409 when the address is taken.
pub async fn create_profile(
    State(state): State<AppState>,
    AppPath(user_id): AppPath<Uuid>,
    AppJson(body): AppJson<NewProfile>,
) -> Result<(StatusCode, AppJson<Profile>), ApiError> {
    let taken = || ApiError::conflict("email_taken", "a profile with this e-mail address exists");
    let (profile, created) = store::create_profile(&state.pool, user_id, &body.email, &body.display_name)
        .await
        .on_unique_violation("email_taken", "a profile with this e-mail address exists")?
        .ok_or_else(taken)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, AppJson(profile)))
}

/// `GET /internal/v1/profiles/{id}`: for services acting for a user
/// (notifications needs the address to write to).
pub async fn profile(
    State(state): State<AppState>,
    AppPath(user_id): AppPath<Uuid>,
) -> Result<AppJson<Profile>, ApiError> {
    store::get_profile(&state.pool, user_id)
        .await?
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found(format!("no profile {user_id}")))
}
