//! What to show next to a product, and on a customer's dashboard.

use axum::extract::State;
use platform::{ApiError, AppJson, AppPath, AppQuery};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::store::{self, Product};

#[derive(Deserialize)]
pub struct LimitQuery {
    limit: Option<i64>,
}

impl LimitQuery {
    fn parse(&self) -> Result<i64, ApiError> {
        match self.limit.unwrap_or(5) {
            n @ 1..=20 => Ok(n),
            _ => Err(ApiError::bad_request("invalid_query", "limit must be between 1 and 20")),
        }
    }
}

#[derive(Serialize)]
pub struct Recommendations {
    items: Vec<Product>,
}

/// Products of the same category.
pub async fn for_product(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<LimitQuery>,
) -> Result<AppJson<Recommendations>, ApiError> {
    let limit = query.parse()?;
    let items = store::same_category(&state.pool, id, limit)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))?;
    Ok(AppJson(Recommendations { items }))
}

/// Newest products, for callers without a product in view.
pub async fn general(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<LimitQuery>,
) -> Result<AppJson<Recommendations>, ApiError> {
    let limit = query.parse()?;
    Ok(AppJson(Recommendations { items: store::newest(&state.pool, limit).await? }))
}
