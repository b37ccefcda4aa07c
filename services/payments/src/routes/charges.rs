use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use platform::client::CallError;
use platform::{ApiError, AppJson, AppPath, AppQuery};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{Charge, ChargeRequest};
use crate::idempotency::{self, Begin};
use crate::provider::{self, ChargeOutcome, ProviderError};
use crate::state::AppState;
use crate::store::{self, NewPayment, Payment};

/// `POST /api/v1/payments` with `Idempotency-Key`: 201 with the payment,
/// `status` captured or declined. The same key and body replay the first
/// answer and never charge twice.
pub async fn charge(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(request): AppJson<Value>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let key = idempotency::key_of(&headers, "charge")?;
    let parsed: ChargeRequest =
        serde_json::from_value(request.clone()).map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))?;
    let charge = Charge::parse(parsed).map_err(|m| ApiError::unprocessable("invalid_body", m))?;
    match idempotency::begin(&state.pool, &key, &idempotency::fingerprint(&request)).await? {
        Begin::Replay(status, body) => Ok((status, AppJson(body))),
        // Detached from the request: a client that hangs up mid-way must not
        // cancel us between charging at the provider and recording it.
        Begin::Proceed => {
            tokio::spawn(charge_and_record(state, key, charge)).await.map_err(|e| ApiError::Internal(e.into()))?
        }
    }
}

async fn charge_and_record(
    state: AppState,
    key: String,
    charge: Charge,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    // The provider's key is derived from ours: a retry after a lost answer
    // reaches the provider with the same key and is not charged again.
    let provider_key = idempotency::provider_key(&key);
    let outcome = match provider::charge(&state.provider, &charge, &provider_key).await {
        Ok(outcome) => outcome,
        Err(error) => {
            state.metrics.count("charge", "failed");
            // No answer from the provider: the charge may have happened there.
            // The key stays locked until its lease ends; a retry after that
            // asks the provider again with the same provider key and learns
            // the outcome. Any other failure left no charge: free the key now.
            let outcome_unknown =
                matches!(error, ProviderError::Call(CallError::Timeout { .. } | CallError::Interrupted { .. }));
            if !outcome_unknown {
                idempotency::abandon(&state.pool, &key).await?;
            }
            return Err(match error {
                ProviderError::Call(call) => call.into(),
                ProviderError::Unexpected(_) => ApiError::unavailable("payment provider"),
            });
        }
    };
    let (status, charge_id, decline_code) = match &outcome {
        ChargeOutcome::Succeeded { charge_id } => ("captured", charge_id.as_str(), None),
        ChargeOutcome::Declined { charge_id, code } => ("declined", charge_id.as_str(), Some(code.as_str())),
    };
    let mut tx = state.pool.begin().await?;
    let payment = store::insert(
        &mut tx,
        NewPayment {
            order_id: charge.order_id,
            amount_minor: charge.amount.amount_minor,
            currency: charge.amount.currency.as_str(),
            status,
            provider_charge_id: charge_id,
            decline_code,
        },
    )
    .await?;
    let body = serde_json::to_value(&payment).expect("a payment serialises");
    idempotency::complete(&mut tx, &key, StatusCode::CREATED, &body).await?;
    tx.commit().await?;
    state.metrics.count("charge", status);
    tracing::info!(payment_id = %payment.id, order_id = %payment.order_id, status, "charge recorded");
    Ok((StatusCode::CREATED, AppJson(body)))
}

pub async fn detail(State(state): State<AppState>, AppPath(id): AppPath<Uuid>) -> Result<AppJson<Payment>, ApiError> {
    store::get(&state.pool, id).await?.map(AppJson).ok_or_else(|| ApiError::not_found(format!("no payment {id}")))
}

#[derive(Deserialize)]
pub struct ByOrder {
    order_id: Uuid,
}

/// `GET /api/v1/payments?order_id=...`: every payment of an order.
pub async fn list_for_order(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<ByOrder>,
) -> Result<AppJson<Vec<Payment>>, ApiError> {
    Ok(AppJson(store::for_order(&state.pool, query.order_id).await?))
}
