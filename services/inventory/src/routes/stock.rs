use axum::extract::State;
use platform::{ApiError, AppJson, AppPath, Caller};
use serde::{Deserialize, Serialize};

use crate::domain::Quantity;
use crate::state::AppState;
use crate::store::{self, Stock};

#[derive(Serialize)]
pub struct Availability {
    product_id: i64,
    available: i32,
}

/// Public: how many units can be ordered now. Unknown products have none.
pub async fn availability(
    State(state): State<AppState>,
    AppPath(product_id): AppPath<i64>,
) -> Result<AppJson<Availability>, ApiError> {
    let available = store::stock_of(&state.pool, product_id).await?.map_or(0, |s| s.available);
    Ok(AppJson(Availability { product_id, available }))
}

pub async fn detail(
    State(state): State<AppState>,
    AppPath(product_id): AppPath<i64>,
) -> Result<AppJson<Stock>, ApiError> {
    store::stock_of(&state.pool, product_id)
        .await?
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found(format!("no stock for product {product_id}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restock {
    quantity: Quantity,
}

/// Admins add units.
pub async fn restock(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(product_id): AppPath<i64>,
    AppJson(body): AppJson<Restock>,
) -> Result<AppJson<Stock>, ApiError> {
    caller.require_admin()?;
    if product_id <= 0 {
        return Err(ApiError::bad_request("invalid_path", "product ids are positive"));
    }
    let stock = store::restock(&state.pool, product_id, body.quantity.get()).await?;
    tracing::info!(product_id, quantity = body.quantity.get(), available = stock.available, "restocked");
    Ok(AppJson(stock))
}
