//! What to show next to a product, and on a customer's dashboard.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::{ApiError, AppJson, AppPath, AppQuery};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::store::{self, Product};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// 1 to 20 (default 5).
    #[param(minimum = 1, maximum = 20)]
    limit: Option<i64>,
}

impl LimitQuery {
    pub(super) fn parse(&self) -> Result<i64, ApiError> {
        match self.limit.unwrap_or(5) {
            n @ 1..=20 => Ok(n),
            _ => Err(ApiError::bad_request("invalid_query", "limit must be between 1 and 20")),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Recommendations {
    items: Vec<Product>,
}

/// Products of the same category.
#[utoipa::path(get, path = "/api/v1/products/{id}/recommendations", tag = "catalog",
    params(("id" = i64, Path), LimitQuery),
    responses(
        (status = 200, description = "Other products of its category, newest first", body = Recommendations),
        (status = 400, description = "Invalid limit", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn for_product(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<LimitQuery>,
) -> Result<AppJson<Recommendations>, ApiError> {
    Ok(AppJson(Recommendations { items: same_category(&state, id, &query).await? }))
}

pub(super) async fn same_category(state: &AppState, id: i64, query: &LimitQuery) -> Result<Vec<Product>, ApiError> {
    let limit = query.parse()?;
    store::same_category(&state.pool, id, limit)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))
}

/// Newest products, for callers without a product in view.
#[utoipa::path(get, path = "/api/v1/recommendations", tag = "catalog", params(LimitQuery),
    responses(
        (status = 200, description = "The newest products", body = Recommendations),
        (status = 400, description = "Invalid limit", body = ErrorBody),
    ))]
pub async fn general(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<LimitQuery>,
) -> Result<AppJson<Recommendations>, ApiError> {
    let limit = query.parse()?;
    Ok(AppJson(Recommendations { items: store::newest(&state.pool, limit).await? }))
}
