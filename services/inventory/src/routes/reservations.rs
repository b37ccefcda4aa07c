//! Reserve / commit / cancel per order id. Every call is idempotent: the
//! saga may repeat any of them after a timeout without changing the outcome.

use axum::extract::State;
use axum::http::StatusCode;
use platform::{ApiError, AppJson, AppPath};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{ReservationLine, ReservationLines};
use crate::state::AppState;
use crate::store::{self, Commit, ReservationStatus, Reserve};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    lines: Vec<ReservationLine>,
}

#[derive(Serialize)]
pub struct Reservation {
    order_id: Uuid,
    status: ReservationStatus,
}

/// `PUT /internal/v1/reservations/{order_id}`: 201 when reserved now, 200 when
/// it already was, 409 `insufficient_stock` (nothing reserved) or
/// `reservation_closed` (the order was cancelled first).
pub async fn reserve(
    State(state): State<AppState>,
    AppPath(order_id): AppPath<Uuid>,
    AppJson(request): AppJson<ReserveRequest>,
) -> Result<(StatusCode, AppJson<Reservation>), ApiError> {
    let lines = ReservationLines::parse(request.lines).map_err(|m| ApiError::unprocessable("invalid_body", m))?;
    let mut tx = state.pool.begin().await?;
    let outcome = store::reserve(&mut tx, order_id, &lines, state.reservation_ttl).await?;
    match outcome {
        Reserve::Reserved => {
            tx.commit().await?;
            state.metrics.reservations("reserved");
            Ok((StatusCode::CREATED, AppJson(Reservation { order_id, status: ReservationStatus::Reserved })))
        }
        Reserve::Existing(status @ (ReservationStatus::Reserved | ReservationStatus::Committed)) => {
            Ok((StatusCode::OK, AppJson(Reservation { order_id, status })))
        }
        Reserve::Existing(_) => Err(ApiError::conflict("reservation_closed", "this order's reservation was cancelled")),
        Reserve::Insufficient { product_id } => {
            // Dropping the transaction undoes the lines reserved before this one.
            drop(tx);
            state.metrics.reservations("insufficient");
            Err(ApiError::conflict("insufficient_stock", format!("not enough units of product {product_id}")))
        }
    }
}

pub async fn status(
    State(state): State<AppState>,
    AppPath(order_id): AppPath<Uuid>,
) -> Result<AppJson<Reservation>, ApiError> {
    let status = store::reservation_status(&state.pool, order_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no reservation for order {order_id}")))?;
    Ok(AppJson(Reservation { order_id, status }))
}

/// The order is confirmed: its reserved units are sold.
pub async fn commit(
    State(state): State<AppState>,
    AppPath(order_id): AppPath<Uuid>,
) -> Result<AppJson<Reservation>, ApiError> {
    let mut tx = state.pool.begin().await?;
    match store::commit(&mut tx, order_id).await? {
        Commit::Committed => {
            tx.commit().await?;
            state.metrics.reservations("committed");
            Ok(AppJson(Reservation { order_id, status: ReservationStatus::Committed }))
        }
        Commit::Closed(_) => Err(ApiError::conflict("reservation_closed", "this order's reservation was cancelled")),
        Commit::Missing => Err(ApiError::not_found(format!("no reservation for order {order_id}"))),
    }
}

/// The order is cancelled: whatever it holds goes back to available.
pub async fn cancel(
    State(state): State<AppState>,
    AppPath(order_id): AppPath<Uuid>,
) -> Result<AppJson<Reservation>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let status = store::cancel(&mut tx, order_id).await?;
    tx.commit().await?;
    state.metrics.reservations("cancelled");
    Ok(AppJson(Reservation { order_id, status }))
}
