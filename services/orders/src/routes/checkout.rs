//! `POST /api/v1/orders`: price the items, record the order, run the saga,
//! and answer with the outcome (201) or, if the saga takes longer than the
//! checkout wait, with the pending order (202) that it will settle later.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use platform::client::CallError;
use platform::error::ErrorBody;
use platform::money::Currency;
use platform::{ApiError, AppJson, Caller, IdempotencyKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tracing::Instrument;
use uuid::Uuid;

use crate::domain::{Line, NewOrder, NewOrderRequest, OrderEvent};
use crate::recorder::{self, NewSaga};
use crate::state::AppState;
use crate::store::{self, OrderView};

/// Places an order: prices the items, takes the payment and the stock.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats of a checkout with the same key answer with the first order")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Settled: CONFIRMED or CANCELLED (with its reason)", body = OrderView),
        (status = 202, description = "Still PENDING when the checkout wait ran out; settles later", body = OrderView),
        (status = 200, description = "A repeat of an earlier checkout (same Idempotency-Key)", body = OrderView),
        (status = 422, description = "Invalid order, unknown product, mixed currencies or a reused key", body = ErrorBody),
        (status = 503, description = "The catalog did not answer; nothing was recorded", body = ErrorBody),
    ))]
pub async fn place_order(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    AppJson(body): AppJson<Value>,
) -> Result<(StatusCode, AppJson<OrderView>), ApiError> {
    let (status, view) = checkout(&state, &caller, &headers, body).await?;
    Ok((status, AppJson(view)))
}

/// Both versions' checkout: the order's view and the status to answer with.
pub(super) async fn checkout(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Value,
) -> Result<(StatusCode, OrderView), ApiError> {
    // The wait for the saga counts from here: pricing and recording are part
    // of it, so the answer comes before the server's request time limit.
    let deadline = tokio::time::Instant::now() + state.checkout_wait;
    let request: NewOrderRequest =
        serde_json::from_value(body.clone()).map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))?;
    let new = NewOrder::parse(request).map_err(|m| ApiError::unprocessable("invalid_order", m))?;

    // A repeated checkout (same Idempotency-Key) returns the first order.
    let key = IdempotencyKey::from_headers(headers)?.map(|k| k.as_str().to_owned());
    let hash = Sha256::digest(body.to_string().as_bytes()).to_vec();
    if let Some(key) = &key
        && let Some(existing) = previous_order(state, caller, key, &hash).await?
    {
        return Ok((StatusCode::OK, existing));
    }

    let (lines, currency) = price(state, &new).await?;
    let total_minor = total_of(&lines)?;
    let order_id = Uuid::now_v7();
    let placed = OrderEvent::OrderPlaced { customer_id: caller.user_id, lines, currency, total_minor };
    let saga = NewSaga { payment_method: new.payment_method.as_str(), first_run_window: state.saga_lease };
    let checkout_key = key.as_deref().map(|k| (k, hash.as_slice()));
    if let Err(error) = recorder::record_new(&state.pool, order_id, &placed, saga, checkout_key).await {
        // The same key raced us: answer with the order that won.
        if let Some(key) = &key
            && let Some(existing) = previous_order(state, caller, key, &hash).await?
        {
            return Ok((StatusCode::OK, existing));
        }
        return Err(ApiError::Internal(error.into()));
    }
    state.outbox.notify_one();
    tracing::info!(%order_id, total_minor, "order placed");

    // The saga runs on its own task: it goes on if the client hangs up or
    // the wait below runs out.
    let runner = state.saga.clone();
    let saga = tokio::spawn(async move { runner.run(order_id).await }.in_current_span());
    let _ = tokio::time::timeout_at(deadline, saga).await;
    let view = wait_for_outcome(state, order_id, deadline).await?;
    let status = if view.status == "PENDING" { StatusCode::ACCEPTED } else { StatusCode::CREATED };
    Ok((status, view))
}

/// The order once it is no longer pending, or as it is at `deadline`
/// (another runner may be finishing the saga, e.g. after a retry).
async fn wait_for_outcome(
    state: &AppState,
    order_id: Uuid,
    deadline: tokio::time::Instant,
) -> Result<OrderView, ApiError> {
    loop {
        let view = store::view(&state.pool, order_id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("order view missing")))?;
        let gave_up = state.saga.is_halted() || tokio::time::Instant::now() >= deadline;
        if view.status != "PENDING" || gave_up {
            return Ok(view);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn previous_order(
    state: &AppState,
    caller: &Caller,
    key: &str,
    hash: &[u8],
) -> Result<Option<OrderView>, ApiError> {
    match store::find_request(&state.pool, caller.user_id, key).await? {
        None => Ok(None),
        Some((stored, _)) if stored != hash => Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different order",
        )),
        Some((_, order_id)) => Ok(store::view(&state.pool, order_id).await?),
    }
}

/// The order's total in minor units, or 422 when it does not fit in them
/// (found by fuzzing: a product priced near `i64::MAX` times a quantity;
/// unchecked, release builds would have wrapped it into a wrong charge).
fn total_of(lines: &[Line]) -> Result<i64, ApiError> {
    lines
        .iter()
        .try_fold(0_i64, |total, line| line.unit_price_minor.checked_mul(i64::from(line.quantity))?.checked_add(total))
        .ok_or_else(|| ApiError::unprocessable("total_too_large", "the order's total is beyond what can be charged"))
}

/// Looks every product up in the catalog: names and prices as of now.
async fn price(state: &AppState, new: &NewOrder) -> Result<(Vec<Line>, Currency), ApiError> {
    let lookups = new.lines.iter().map(|line| state.clients.product(line.product_id));
    let products = futures::future::join_all(lookups).await;
    let mut lines = Vec::with_capacity(new.lines.len());
    let mut currency: Option<Currency> = None;
    for (requested, product) in new.lines.iter().zip(products) {
        // Nothing is recorded yet: a catalog that did not answer in time
        // makes this a plain "try again" (503, Retry-After), not a 504.
        let product = product.map_err(|error| match error {
            CallError::Timeout { dependency, .. } => ApiError::unavailable(dependency),
            other => other.into(),
        })?;
        let product = product.ok_or_else(|| {
            ApiError::unprocessable("unknown_product", format!("product {} does not exist", requested.product_id))
        })?;
        if currency.as_ref().is_some_and(|c| *c != product.currency) {
            return Err(ApiError::unprocessable("mixed_currencies", "all items of an order must have one currency"));
        }
        currency = Some(product.currency.clone());
        lines.push(Line {
            product_id: product.id,
            name: product.name,
            unit_price_minor: product.price_cents,
            quantity: requested.quantity as i32,
        });
    }
    Ok((lines, currency.expect("at least one line")))
}
