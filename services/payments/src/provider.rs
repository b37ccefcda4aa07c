//! The external payment provider, over HTTP through the platform client.
//! Our own idempotency keys are passed on (derived per payment), so that a
//! retried call can never charge or refund twice at the provider either.

use axum::http::{HeaderMap, HeaderValue, Method};
use platform::client::{Call, CallError, ServiceClient};
use serde::Deserialize;
use serde_json::json;

use crate::domain::Charge;

#[derive(Debug, Deserialize)]
pub struct ProviderCharge {
    pub id: String,
    pub status: String,
    pub decline_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ProviderRefund {
    pub id: String,
}

#[derive(Debug)]
pub enum ChargeOutcome {
    Succeeded { charge_id: String },
    Declined { charge_id: String, code: String },
}

/// Why the provider gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("payment provider answered {0}")]
    Unexpected(u16),
}

fn with_key(key: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(platform::idempotency_key::HEADER, HeaderValue::from_str(key).expect("keys are ASCII"));
    headers
}

pub async fn charge(provider: &ServiceClient, charge: &Charge, key: &str) -> Result<ChargeOutcome, ProviderError> {
    let body = json!({
        "amount_minor": charge.amount.amount_minor,
        "currency": charge.amount.currency,
        "payment_method": charge.payment_method.as_str(),
        "reference": charge.order_id,
    });
    let call = Call::new(Method::POST, "/v1/charges").json(&body).headers(with_key(key));
    let response = provider.send(call).await?;
    let status = response.status().as_u16();
    if !matches!(status, 200 | 201 | 402) {
        return Err(ProviderError::Unexpected(status));
    }
    let answer: ProviderCharge = response.json().await.map_err(|_| ProviderError::Unexpected(status))?;
    Ok(match answer.status.as_str() {
        "succeeded" => ChargeOutcome::Succeeded { charge_id: answer.id },
        _ => ChargeOutcome::Declined {
            charge_id: answer.id,
            code: answer.decline_code.unwrap_or_else(|| "declined".into()),
        },
    })
}

pub async fn refund(
    provider: &ServiceClient,
    charge_id: &str,
    amount_minor: i64,
    key: &str,
) -> Result<ProviderRefund, ProviderError> {
    let body = json!({ "charge_id": charge_id, "amount_minor": amount_minor });
    let call = Call::new(Method::POST, "/v1/refunds").json(&body).headers(with_key(key));
    let response = provider.send(call).await?;
    let status = response.status().as_u16();
    if !matches!(status, 200 | 201) {
        return Err(ProviderError::Unexpected(status));
    }
    response.json().await.map_err(|_| ProviderError::Unexpected(status))
}
