use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use platform::{ApiError, AppJson, AppPath};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::idempotency::{self, Begin};
use crate::provider::{self, ProviderError};
use crate::state::AppState;
use crate::store::{self, Payment};

/// `POST /api/v1/payments/{id}/refund` with `Idempotency-Key`: refunds the
/// whole payment; repeating it changes nothing.
pub async fn refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppPath(id): AppPath<Uuid>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let key = idempotency::key_of(&headers, "refund")?;
    match idempotency::begin(&state.pool, &key, &idempotency::fingerprint(&json!({ "payment_id": id }))).await? {
        Begin::Replay(status, body) => Ok((status, AppJson(body))),
        Begin::Proceed => {
            let outcome =
                tokio::spawn(refund_payment(state.clone(), id)).await.map_err(|e| ApiError::Internal(e.into()))?;
            match outcome {
                Ok(payment) => {
                    let body = serde_json::to_value(&payment).expect("a payment serialises");
                    let mut conn = state.pool.acquire().await?;
                    idempotency::complete(&mut conn, &key, StatusCode::OK, &body).await?;
                    Ok((StatusCode::OK, AppJson(body)))
                }
                Err(error) => {
                    idempotency::abandon(&state.pool, &key).await?;
                    Err(error)
                }
            }
        }
    }
}

/// `POST /internal/v1/orders/{order_id}/refund`: the saga's compensation.
/// Refunds every captured payment of the order; with none, does nothing.
/// Safe to repeat: refunded payments are skipped.
pub async fn refund_order(
    State(state): State<AppState>,
    AppPath(order_id): AppPath<Uuid>,
) -> Result<AppJson<Vec<Payment>>, ApiError> {
    let mut result = Vec::new();
    for payment in store::for_order(&state.pool, order_id).await? {
        if payment.status == "captured" {
            let state = state.clone();
            result.push(
                tokio::spawn(refund_payment(state, payment.id)).await.map_err(|e| ApiError::Internal(e.into()))??,
            );
        } else {
            result.push(payment);
        }
    }
    Ok(AppJson(result))
}

/// Refunds one captured payment in full; an already refunded one is returned as is.
async fn refund_payment(state: AppState, id: Uuid) -> Result<Payment, ApiError> {
    let mut tx = state.pool.begin().await?;
    let Some((charge_id, amount_minor)) = store::lock_captured(&mut tx, id).await? else {
        return match store::get(&state.pool, id).await? {
            Some(payment) if payment.status == "refunded" => Ok(payment),
            Some(_) => Err(ApiError::conflict("not_refundable", "only captured payments can be refunded")),
            None => Err(ApiError::not_found(format!("no payment {id}"))),
        };
    };
    // One refund per payment: the provider key is the payment's.
    let refund = provider::refund(&state.provider, &charge_id, amount_minor, &format!("shop-refund-{id}"))
        .await
        .map_err(|error| {
            state.metrics.count("refund", "failed");
            match error {
                ProviderError::Call(call) => ApiError::from(call),
                ProviderError::Unexpected(_) => ApiError::unavailable("payment provider"),
            }
        })?;
    let payment = store::mark_refunded(&mut tx, id, &refund.id).await?;
    tx.commit().await?;
    state.metrics.count("refund", "refunded");
    tracing::info!(payment_id = %id, order_id = %payment.order_id, "payment refunded");
    Ok(payment)
}
