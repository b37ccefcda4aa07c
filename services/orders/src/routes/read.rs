//! Reads come from the read model: one row per order, no replay needed.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::pagination::{Page, PageQuery, Pagination};
use platform::{ApiError, AppJson, AppPath, AppQuery, Caller};
use serde_json::Value;
use uuid::Uuid;

use crate::event_store;
use crate::state::AppState;
use crate::store::{self, OrderView};

/// Someone else's order looks exactly like a missing one.
pub fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no order {id}"))
}

/// One of the caller's orders (admins: any order).
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "No such order of the caller's", body = ErrorBody),
    ))]
pub async fn order(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<OrderView>, ApiError> {
    Ok(AppJson(visible_order(&state, &caller, id).await?))
}

/// The order, if the caller may see it; someone else's is not found.
pub(super) async fn visible_order(state: &AppState, caller: &Caller, id: Uuid) -> Result<OrderView, ApiError> {
    let view = store::view(&state.pool, id).await?.ok_or_else(|| not_found(id))?;
    if !caller.may_access(view.customer_id) {
        return Err(not_found(id));
    }
    Ok(view)
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(PageQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = Page<OrderView>),
        (status = 400, description = "Invalid pagination", body = ErrorBody),
    ))]
pub async fn my_orders(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<Page<OrderView>>, ApiError> {
    let page = Pagination::parse(&query)?;
    let (items, total) = store::views_of(&state.pool, caller.user_id, page).await?;
    Ok(AppJson(Page::new(items, page, total)))
}

/// The raw event stream of an order (internal: audits and tests).
pub async fn events(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Vec<Value>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let events = event_store::load_events(&mut conn, id).await?;
    if events.is_empty() {
        return Err(not_found(id));
    }
    Ok(AppJson(events.into_iter().map(|(e, _)| serde_json::to_value(e).expect("serialises")).collect()))
}
