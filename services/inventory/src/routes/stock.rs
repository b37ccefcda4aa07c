use axum::extract::State;
use platform::error::ErrorBody;
use platform::{ApiError, AppJson, AppPath, Caller};
use serde::{Deserialize, Serialize};

use crate::domain::Quantity;
use crate::state::AppState;
use crate::store::{self, Stock};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Availability {
    product_id: i64,
    available: i32,
}

/// Public: how many units can be ordered now. Unknown products have none.
#[utoipa::path(get, path = "/api/v1/inventory/{product_id}", tag = "inventory", params(("product_id" = i64, Path)),
    responses((status = 200, description = "Units available", body = Availability)))]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restock {
    #[schema(value_type = i64, minimum = 1, maximum = 10000)]
    quantity: Quantity,
}

/// Admins add units.
#[utoipa::path(post, path = "/api/v1/inventory/{product_id}/restock", tag = "inventory",
    params(("product_id" = i64, Path)), request_body = Restock, security(("bearer" = [])),
    responses(
        (status = 200, description = "The stock after", body = Stock),
        (status = 400, description = "Not a product id", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid quantity", body = ErrorBody),
    ))]
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
