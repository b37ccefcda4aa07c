use axum::extract::State;
use axum::http::StatusCode;
use platform::error::DbResultExt;
use platform::pagination::Page;
use platform::{ApiError, AppJson, AppPath, AppQuery, Caller};

use crate::domain::{ListingQuery, NewProduct, ProductPatch, RawListingQuery};
use crate::state::AppState;
use crate::store::{self, Product};

pub async fn list(
    State(state): State<AppState>,
    AppQuery(raw): AppQuery<RawListingQuery>,
) -> Result<AppJson<Page<Product>>, ApiError> {
    let query = ListingQuery::parse(raw)?;
    let (items, total) = store::list_products(&state.pool, &query).await?;
    Ok(AppJson(Page::new(items, query.pagination, total)))
}

pub async fn detail(State(state): State<AppState>, AppPath(id): AppPath<i64>) -> Result<AppJson<Product>, ApiError> {
    store::get_product(&state.pool, id)
        .await?
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(new): AppJson<NewProduct>,
) -> Result<(StatusCode, AppJson<Product>), ApiError> {
    caller.require_admin()?;
    let product = store::insert_product(&state.pool, &new)
        .await
        .on_unique_violation("sku_taken", "a product with this SKU exists")?
        .ok_or_else(|| unknown_category(new.category.as_str()))?;
    tracing::info!(product_id = product.id, sku = %product.sku, "product created");
    Ok((StatusCode::CREATED, AppJson(product)))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<i64>,
    AppJson(patch): AppJson<ProductPatch>,
) -> Result<AppJson<Product>, ApiError> {
    caller.require_admin()?;
    if patch.is_empty() {
        return Err(ApiError::unprocessable("empty_patch", "nothing to change"));
    }
    if let Some(category) = &patch.category
        && !store::category_exists(&state.pool, category).await?
    {
        return Err(unknown_category(category.as_str()));
    }
    store::update_product(&state.pool, id, &patch)
        .await?
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    if store::delete_product(&state.pool, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("product {id} does not exist")))
    }
}

fn unknown_category(slug: &str) -> ApiError {
    ApiError::unprocessable("unknown_category", format!("category {slug:?} does not exist"))
}
