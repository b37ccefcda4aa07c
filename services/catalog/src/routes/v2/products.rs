use axum::extract::State;
use axum::http::StatusCode;
use platform::cursor::CursorPage;
use platform::error::ErrorBody;
use platform::{ApiError, AppJson, AppPath, AppQuery, Caller};

use super::product::{NewProductV2, Product, ProductPatchV2, Recommendations};
use crate::domain::{CursorListingQuery, RawCursorListingQuery};
use crate::routes::products as v1;
use crate::routes::recommendations::{self as v1_recommendations, LimitQuery};
use crate::state::AppState;
use crate::store;

/// Products, filtered, searched and sorted, a cursor page at a time.
#[utoipa::path(get, path = "/api/v2/products", tag = "catalog", params(RawCursorListingQuery),
    responses(
        (status = 200, description = "One page and the cursor of the next", body = CursorPage<Product>),
        (status = 400, description = "Invalid query or cursor", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    AppQuery(raw): AppQuery<RawCursorListingQuery>,
) -> Result<AppJson<CursorPage<Product>>, ApiError> {
    let query = CursorListingQuery::parse(raw)?;
    let rows = store::list_products_after(&state.pool, &query).await?;
    let page = CursorPage::from_rows(rows, query.page.limit, |p| store::position_of(p, query.sort));
    Ok(AppJson(page.map(Product::from)))
}

/// One product.
#[utoipa::path(get, path = "/api/v2/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The product", body = Product),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn detail(State(state): State<AppState>, AppPath(id): AppPath<i64>) -> Result<AppJson<Product>, ApiError> {
    store::get_product(&state.pool, id)
        .await?
        .map(|p| AppJson(p.into()))
        .ok_or_else(|| ApiError::not_found(format!("product {id} does not exist")))
}

/// Adds a product (admins).
#[utoipa::path(post, path = "/api/v2/products", tag = "catalog", request_body = NewProductV2,
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
    AppJson(new): AppJson<NewProductV2>,
) -> Result<(StatusCode, AppJson<Product>), ApiError> {
    caller.require_admin()?;
    let product = v1::insert(&state, &new.into()).await?;
    Ok((StatusCode::CREATED, AppJson(product.into())))
}

/// Changes the fields sent (admins).
#[utoipa::path(patch, path = "/api/v2/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    request_body = ProductPatchV2, security(("bearer" = [])),
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
    AppJson(patch): AppJson<ProductPatchV2>,
) -> Result<AppJson<Product>, ApiError> {
    caller.require_admin()?;
    Ok(AppJson(v1::apply(&state, id, &patch.into()).await?.into()))
}

/// Removes a product (admins).
#[utoipa::path(delete, path = "/api/v2/products/{id}", tag = "catalog", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn delete(state: State<AppState>, caller: Caller, id: AppPath<i64>) -> Result<StatusCode, ApiError> {
    v1::delete(state, caller, id).await
}

/// Products of the same category.
#[utoipa::path(get, path = "/api/v2/products/{id}/recommendations", tag = "catalog",
    params(("id" = i64, Path), LimitQuery),
    responses(
        (status = 200, description = "Other products of its category, newest first", body = Recommendations),
        (status = 400, description = "Invalid limit", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn recommendations_for_product(
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<LimitQuery>,
) -> Result<AppJson<Recommendations>, ApiError> {
    let items = v1_recommendations::same_category(&state, id, &query).await?;
    Ok(AppJson(Recommendations { items: items.into_iter().map(Product::from).collect() }))
}

/// Newest products, for callers without a product in view.
#[utoipa::path(get, path = "/api/v2/recommendations", tag = "catalog", params(LimitQuery),
    responses(
        (status = 200, description = "The newest products", body = Recommendations),
        (status = 400, description = "Invalid limit", body = ErrorBody),
    ))]
pub async fn recommendations(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<LimitQuery>,
) -> Result<AppJson<Recommendations>, ApiError> {
    let limit = query.parse()?;
    let items = store::newest(&state.pool, limit).await?;
    Ok(AppJson(Recommendations { items: items.into_iter().map(Product::from).collect() }))
}
