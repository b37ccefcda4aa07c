use axum::extract::State;
use axum::http::StatusCode;
use platform::error::DbResultExt;
use platform::{ApiError, AppJson, Caller};
use serde::Deserialize;

use crate::domain::{CategoryName, CategorySlug};
use crate::state::AppState;
use crate::store::{self, Category};

pub async fn list(State(state): State<AppState>) -> Result<AppJson<Vec<Category>>, ApiError> {
    Ok(AppJson(store::list_categories(&state.pool).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    slug: CategorySlug,
    name: CategoryName,
}

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
