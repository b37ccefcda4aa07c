use axum::extract::State;
use platform::error::ErrorBody;
use platform::pagination::{Page, PageQuery, Pagination};
use platform::{ApiError, AppJson, AppPath, AppQuery, Caller};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::DisplayName;
use crate::state::AppState;
use crate::store::{self, Profile};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    #[schema(value_type = String, min_length = 1, max_length = 100, example = "Ada")]
    display_name: DisplayName,
}

/// The caller's profile.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "The profile", body = Profile)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<AppJson<Profile>, ApiError> {
    read(&state, &caller, caller.user_id).await
}

/// Renames the caller.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", request_body = ProfileChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile as changed", body = Profile),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(change): AppJson<ProfileChange>,
) -> Result<AppJson<Profile>, ApiError> {
    write(&state, &caller, caller.user_id, change).await
}

/// A profile: the caller's own, or any for admins.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, description = "No such profile the caller may see", body = ErrorBody),
    ))]
pub async fn by_id(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(user_id): AppPath<Uuid>,
) -> Result<AppJson<Profile>, ApiError> {
    read(&state, &caller, user_id).await
}

/// Renames a user: the caller, or anyone for admins.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = ProfileChange, security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile as changed", body = Profile),
        (status = 404, description = "No such profile the caller may see", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn update_by_id(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(user_id): AppPath<Uuid>,
    AppJson(change): AppJson<ProfileChange>,
) -> Result<AppJson<Profile>, ApiError> {
    write(&state, &caller, user_id, change).await
}

/// Admins only: every profile, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = Page<Profile>),
        (status = 400, description = "Invalid pagination", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<Page<Profile>>, ApiError> {
    caller.require_admin()?;
    let page = Pagination::parse(&query)?;
    let (items, total) = store::list_profiles(&state.pool, page).await?;
    Ok(AppJson(Page::new(items, page, total)))
}

/// Someone else's profile looks exactly like a missing one (404): a
/// customer cannot even learn which ids exist.
fn not_found(user_id: Uuid) -> ApiError {
    ApiError::not_found(format!("no profile {user_id}"))
}

async fn read(state: &AppState, caller: &Caller, user_id: Uuid) -> Result<AppJson<Profile>, ApiError> {
    if !caller.may_access(user_id) {
        return Err(not_found(user_id));
    }
    store::get_profile(&state.pool, user_id).await?.map(AppJson).ok_or_else(|| not_found(user_id))
}

async fn write(
    state: &AppState,
    caller: &Caller,
    user_id: Uuid,
    change: ProfileChange,
) -> Result<AppJson<Profile>, ApiError> {
    if !caller.may_access(user_id) {
        return Err(not_found(user_id));
    }
    store::rename(&state.pool, user_id, &change.display_name).await?.map(AppJson).ok_or_else(|| not_found(user_id))
}
