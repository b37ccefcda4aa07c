//! API v2 of orders: money as `{"amount":"12.50","currency":"EUR"}` (the
//! order's total and every line's unit price) and cursor pagination. The
//! request bodies did not change; the same checkout, saga and read model
//! serve both versions.

mod order;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use platform::cursor::{CursorPage, CursorQuery};
use platform::error::ErrorBody;
use platform::{ApiError, AppJson, AppPath, AppQuery, Caller};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use self::order::Order;
use super::{checkout, manage, read};
use crate::domain::NewOrderRequest;
use crate::state::AppState;
use crate::store;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(place_order, my_orders))
        .routes(routes!(order))
        .routes(routes!(cancel))
        .routes(routes!(ship))
}

/// Places an order: prices the items, takes the payment and the stock.
#[utoipa::path(post, path = "/api/v2/orders", tag = "orders", request_body = NewOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats of a checkout with the same key answer with the first order")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Settled: CONFIRMED or CANCELLED (with its reason)", body = Order),
        (status = 202, description = "Still PENDING when the checkout wait ran out; settles later", body = Order),
        (status = 200, description = "A repeat of an earlier checkout (same Idempotency-Key)", body = Order),
        (status = 422, description = "Invalid order, unknown product, mixed currencies or a reused key", body = ErrorBody),
        (status = 503, description = "The catalog did not answer; nothing was recorded", body = ErrorBody),
    ))]
pub async fn place_order(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    AppJson(body): AppJson<Value>,
) -> Result<(StatusCode, AppJson<Order>), ApiError> {
    let (status, view) = checkout::checkout(&state, &caller, &headers, body).await?;
    Ok((status, AppJson(Order::try_from(view)?)))
}

/// The caller's orders, newest first, a cursor page at a time.
#[utoipa::path(get, path = "/api/v2/orders", tag = "orders", params(CursorQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "One page and the cursor of the next", body = CursorPage<Order>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    ))]
pub async fn my_orders(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<CursorQuery>,
) -> Result<AppJson<CursorPage<Order>>, ApiError> {
    let page = query.parse::<(DateTime<Utc>, Uuid)>()?;
    let rows = store::views_after(&state.pool, caller.user_id, page.after.as_ref(), page.fetch_limit()).await?;
    let page = CursorPage::from_rows(rows, page.limit, |view| (view.placed_at, view.id));
    let items = page.items.into_iter().map(Order::try_from).collect::<Result<_, _>>()?;
    Ok(AppJson(CursorPage { items, next_cursor: page.next_cursor }))
}

/// One of the caller's orders (admins: any order).
#[utoipa::path(get, path = "/api/v2/orders/{id}", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No such order of the caller's", body = ErrorBody),
    ))]
pub async fn order(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Order>, ApiError> {
    Ok(AppJson(read::visible_order(&state, &caller, id).await?.try_into()?))
}

/// Cancels a confirmed order that has not shipped: the saga compensates
/// (refund, stock back) in the background.
#[utoipa::path(post, path = "/api/v2/orders/{id}/cancel", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled; refund and restock follow", body = Order),
        (status = 404, description = "No such order of the caller's", body = ErrorBody),
        (status = 409, description = "In progress, shipped or already cancelled", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Order>, ApiError> {
    Ok(AppJson(manage::cancel_order(&state, &caller, id).await?.try_into()?))
}

/// Admins mark confirmed orders as shipped (after which they cannot be cancelled).
#[utoipa::path(post, path = "/api/v2/orders/{id}/ship", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Shipped", body = Order),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Not confirmed", body = ErrorBody),
    ))]
pub async fn ship(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Order>, ApiError> {
    Ok(AppJson(manage::ship_order(&state, &caller, id).await?.try_into()?))
}
