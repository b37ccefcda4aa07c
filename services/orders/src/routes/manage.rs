//! Changing an order after checkout: cancellation by its customer, shipping
//! by an admin, and rebuilding the read model.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::{ApiError, AppJson, AppPath, Caller};
use serde_json::{Value, json};
use tracing::Instrument;
use uuid::Uuid;

use super::read::not_found;
use crate::domain::{CancelRefusal, Order, OrderEvent, OrderStatus};
use crate::event_store::{self, AppendError};
use crate::recorder::{self, SagaMove};
use crate::saga::Step;
use crate::state::AppState;
use crate::store::{self, OrderView};

async fn load_for(state: &AppState, caller: &Caller, id: Uuid) -> Result<Order, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let order = event_store::load(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    if !caller.may_access(order.customer_id) {
        return Err(not_found(id));
    }
    Ok(order)
}

fn conflict(error: AppendError) -> ApiError {
    match error {
        AppendError::Conflict(_) => ApiError::conflict("concurrent_change", "the order changed meanwhile; try again"),
        AppendError::Database(e) => e.into(),
    }
}

/// Cancels a confirmed order that has not shipped: the saga compensates
/// (refund, stock back) in the background.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled; refund and restock follow", body = OrderView),
        (status = 404, description = "No such order of the caller's", body = ErrorBody),
        (status = 409, description = "In progress, shipped or already cancelled", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<OrderView>, ApiError> {
    cancel_order(&state, &caller, id).await.map(AppJson)
}

pub(super) async fn cancel_order(state: &AppState, caller: &Caller, id: Uuid) -> Result<OrderView, ApiError> {
    let order = load_for(state, caller, id).await?;
    let event = order.cancel_by_customer().map_err(|refusal| {
        let code = match refusal {
            CancelRefusal::InProgress => "order_in_progress",
            CancelRefusal::Shipped => "order_shipped",
            CancelRefusal::AlreadyCancelled => "order_cancelled",
        };
        ApiError::conflict(code, refusal.to_string())
    })?;
    let compensate = SagaMove { from: None, step: Step::Compensate, charge_uncertain: false };
    recorder::record(&state.pool, &order, &[event], Some(compensate)).await.map_err(conflict)?;
    state.outbox.notify_one();
    let runner = state.saga.clone();
    tokio::spawn(async move { runner.run(id).await }.in_current_span());
    tracing::info!(order_id = %id, "order cancelled by the customer");
    store::view(&state.pool, id).await?.ok_or_else(|| not_found(id))
}

/// Admins mark confirmed orders as shipped (after which they cannot be cancelled).
#[utoipa::path(post, path = "/api/v1/orders/{id}/ship", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Shipped", body = OrderView),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Not confirmed", body = ErrorBody),
    ))]
pub async fn ship(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<OrderView>, ApiError> {
    ship_order(&state, &caller, id).await.map(AppJson)
}

pub(super) async fn ship_order(state: &AppState, caller: &Caller, id: Uuid) -> Result<OrderView, ApiError> {
    caller.require_admin()?;
    let order = load_for(state, caller, id).await?;
    if order.status != OrderStatus::Confirmed {
        return Err(ApiError::conflict("order_not_confirmed", "only confirmed orders can ship"));
    }
    recorder::record(&state.pool, &order, &[OrderEvent::OrderShipped], None).await.map_err(conflict)?;
    store::view(&state.pool, id).await?.ok_or_else(|| not_found(id))
}

/// Replays every event stream into a fresh read model.
pub async fn rebuild_read_model(State(state): State<AppState>) -> Result<AppJson<Value>, ApiError> {
    let orders = crate::projection::rebuild(&state.pool).await?;
    Ok(AppJson(json!({ "orders": orders })))
}
