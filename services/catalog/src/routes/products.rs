use axum::extract::State;
use axum::http::StatusCode;
use platform::error::{DbResultExt, ErrorBody};
use platform::pagination::Page;
use platform::{ApiError, AppJson, AppPath, AppQuery, Caller};

use crate::domain::{ListingQuery, NewProduct, ProductPatch, RawListingQuery};
use crate::state::AppState;
use crate::store::{self, Product};

/// Products, filtered, searched and sorted, one numbered page at a time.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(RawListingQuery),
    responses(
        (status = 200, description = "One page", body = Page<Product>),
        (status = 400, description = "Invalid query", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AppQuery(raw): AppQuery<RawListingQuery>,
) -> Result<AppJson<Page<Product>>, ApiError> {
    let query = ListingQuery::parse(raw)?;
    let (items, total) = store::list_products(&state.pool, &query).await?;
    Ok(AppJson(Page::new(items, query.pagination, total)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The product", body = Product),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn detail(State(state): State<AppState>, AppPath(id): AppPath<i64>) -> Result<AppJson<Product>, ApiError> {
    store::get_product(&state.pool, id)
        .await?
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))
}

/// Adds a product (admins).
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog", request_body = NewProduct,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Product),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "The SKU is taken", body = ErrorBody),
        (status = 422, description = "Invalid body or unknown category", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(new): AppJson<NewProduct>,
) -> Result<(StatusCode, AppJson<Product>), ApiError> {
    caller.require_admin()?;
    let product = insert(&state, &new).await?;
    Ok((StatusCode::CREATED, AppJson(product)))
}

/// Shared by both versions' create.
pub(super) async fn insert(state: &AppState, new: &NewProduct) -> Result<Product, ApiError> {
    let product = store::insert_product(&state.pool, new)
        .await
        .on_unique_violation("sku_taken", "a product with this SKU exists")?
        .ok_or_else(|| unknown_category(new.category.as_str()))?;
    tracing::info!(product_id = product.id, sku = %product.sku, "product created");
    Ok(product)
}

/// Changes the fields sent (admins).
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body = ProductPatch, security(("bearer" = [])),
    responses(
        (status = 200, description = "The product as changed", body = Product),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 422, description = "Invalid or empty patch, or unknown category", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<i64>,
    AppJson(patch): AppJson<ProductPatch>,
) -> Result<AppJson<Product>, ApiError> {
    caller.require_admin()?;
    apply(&state, id, &patch).await.map(AppJson)
}

/// Shared by both versions' update.
pub(super) async fn apply(state: &AppState, id: i64, patch: &ProductPatch) -> Result<Product, ApiError> {
    if patch.is_empty() {
        return Err(ApiError::unprocessable("empty_patch", "nothing to change"));
    }
    if let Some(category) = &patch.category
        && !store::category_exists(&state.pool, category).await?
    {
        return Err(unknown_category(category.as_str()));
    }
    store::update_product(&state.pool, id, patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))
}

/// Removes a product (admins).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
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
