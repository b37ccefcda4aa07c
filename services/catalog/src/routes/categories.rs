use axum::extract::State;
use axum::http::StatusCode;
use platform::error::{DbResultExt, ErrorBody};
use platform::{ApiError, AppJson, Caller};
use serde::Deserialize;

use crate::domain::{CategoryName, CategorySlug};
use crate::state::AppState;
use crate::store::{self, Category};

/// Every category, by name.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog",
    responses((status = 200, description = "All categories", body = Vec<Category>)))]
pub async fn list(State(state): State<AppState>) -> Result<AppJson<Vec<Category>>, ApiError> {
    Ok(AppJson(store::list_categories(&state.pool).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// 1 to 64 of a-z, 0-9 and '-'.
    #[schema(value_type = String, pattern = "^[a-z0-9-]{1,64}$", example = "kitchen")]
    slug: CategorySlug,
    #[schema(value_type = String, min_length = 1, max_length = 100, example = "Kitchen")]
    name: CategoryName,
}

/// Adds a category (admins).
#[utoipa::path(post, path = "/api/v1/categories", tag = "catalog", request_body = NewCategory,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Category),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<NewCategory>,
) -> Result<(StatusCode, AppJson<Category>), ApiError> {
    caller.require_admin()?;
    let category = store::insert_category(&state.pool, &body.slug, &body.name)
        .await
        .on_unique_violation("category_exists", "a category with this slug exists")?;
    Ok((StatusCode::CREATED, AppJson(category)))
}
