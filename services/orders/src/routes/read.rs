//! Reads come from the read model: one row per order, no replay needed.

use axum::extract::State;
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

pub async fn order(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<OrderView>, ApiError> {
    let view = store::view(&state.pool, id).await?.ok_or_else(|| not_found(id))?;
    if !caller.may_access(view.customer_id) {
        return Err(not_found(id));
    }
    Ok(AppJson(view))
}

/// The caller's orders, newest first.
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
