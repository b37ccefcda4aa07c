//! The orders service's calls to catalog, inventory and payments, with the
//! answers the saga cares about. Every call goes through the platform
//! client; each outcome below says whether the effect happened, did not,
//! or is unknown.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use platform::client::{Call, CallError, ServiceClient};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{Line, Order};

#[derive(Clone)]
pub struct Clients {
    pub catalog: ServiceClient,
    pub inventory: ServiceClient,
    pub payments: ServiceClient,
}

/// A call ended without a usable answer.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The effect did not happen (refused connection, a definite "no").
    #[error("{0}")]
    NotDone(String),
    /// No answer: the effect may or may not have happened.
    #[error("{0}")]
    Unknown(String),
}

impl From<CallError> for StepError {
    fn from(error: CallError) -> Self {
        match error {
            // Refused before leaving: by the network, the breaker or the bulkhead.
            CallError::Unavailable { .. } | CallError::CircuitOpen { .. } | CallError::BulkheadFull { .. } => {
                Self::NotDone(error.to_string())
            }
            _ => Self::Unknown(error.to_string()),
        }
    }
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap_or_default();
    body["error"]["code"].as_str().unwrap_or_default().to_owned()
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogProduct {
    pub id: i64,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
}

pub enum Reserve {
    Reserved,
    Insufficient,
    /// The order was cancelled before its reservation arrived.
    Closed,
}

pub enum Commit {
    Committed,
    /// The reservation is gone (expired or cancelled): nothing to sell.
    Closed,
}

pub enum Charge {
    Captured {
        payment_id: Uuid,
    },
    Declined,
    /// Another attempt with the same key is running.
    InProgress,
}

impl Clients {
    /// The product as the catalog has it now; `None` if it does not exist.
    pub async fn product(&self, id: i64) -> Result<Option<CatalogProduct>, CallError> {
        let response = self.catalog.send(Call::get(format!("/api/v1/products/{id}"))).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => response
                .json()
                .await
                .map(Some)
                .map_err(|e| CallError::BadAnswer { dependency: "catalog", reason: e.to_string() }),
            status => Err(CallError::UnexpectedStatus { dependency: "catalog", status: status.as_u16() }),
        }
    }

    pub async fn reserve(&self, order_id: Uuid, lines: &[Line]) -> Result<Reserve, StepError> {
        let lines: Vec<Value> =
            lines.iter().map(|l| json!({"product_id": l.product_id, "quantity": l.quantity})).collect();
        let call =
            Call::new(Method::PUT, format!("/internal/v1/reservations/{order_id}")).json(&json!({ "lines": lines }));
        let response = self.inventory.send(call).await?;
        match response.status() {
            status if status.is_success() => Ok(Reserve::Reserved),
            StatusCode::CONFLICT => match error_code(response).await.as_str() {
                "insufficient_stock" => Ok(Reserve::Insufficient),
                _ => Ok(Reserve::Closed),
            },
            status => Err(StepError::Unknown(format!("inventory answered {status} to a reservation"))),
        }
    }

    pub async fn commit(&self, order_id: Uuid) -> Result<Commit, StepError> {
        let call = Call::new(Method::POST, format!("/internal/v1/reservations/{order_id}/commit"));
        let response = self.inventory.send(call).await?;
        match response.status() {
            status if status.is_success() => Ok(Commit::Committed),
            StatusCode::CONFLICT | StatusCode::NOT_FOUND => Ok(Commit::Closed),
            status => Err(StepError::Unknown(format!("inventory answered {status} to a commit"))),
        }
    }

    /// Gives back whatever the order holds (idempotent, also when nothing was reserved).
    pub async fn cancel_reservation(&self, order_id: Uuid) -> Result<(), StepError> {
        let call = Call::new(Method::POST, format!("/internal/v1/reservations/{order_id}/cancel"));
        let response = self.inventory.send(call).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(StepError::Unknown(format!("inventory answered {} to a cancellation", response.status())))
        }
    }

    /// Charges the order's total. The key is the order's: repeating the call
    /// (after a timeout, from compensation) can never charge twice.
    pub async fn charge(&self, order: &Order, payment_method: &str) -> Result<Charge, StepError> {
        let body = json!({
            "order_id": order.id,
            "amount_minor": order.total_minor,
            "currency": order.currency,
            "payment_method": payment_method,
        });
        let mut headers = HeaderMap::new();
        let key = HeaderValue::from_str(&format!("order-{}", order.id)).expect("ASCII");
        headers.insert("idempotency-key", key);
        let response =
            self.payments.send(Call::new(Method::POST, "/api/v1/payments").json(&body).headers(headers)).await?;
        match response.status() {
            status if status.is_success() => {
                let payment: Value = response.json().await.map_err(|e| StepError::Unknown(e.to_string()))?;
                match (payment["status"].as_str(), payment["id"].as_str().and_then(|id| id.parse().ok())) {
                    (Some("captured"), Some(payment_id)) => Ok(Charge::Captured { payment_id }),
                    _ => Ok(Charge::Declined),
                }
            }
            StatusCode::CONFLICT => Ok(Charge::InProgress),
            // Payments could not reach its provider and says no charge was made.
            StatusCode::SERVICE_UNAVAILABLE if error_code(response).await == "dependency_unavailable" => {
                Err(StepError::NotDone("the payment provider is unavailable".into()))
            }
            status => Err(StepError::Unknown(format!("payments answered {status}"))),
        }
    }

    /// Refunds everything captured for the order; true when anything was.
    pub async fn refund_order(&self, order_id: Uuid) -> Result<bool, StepError> {
        let call = Call::new(Method::POST, format!("/internal/v1/orders/{order_id}/refund"));
        let response = self.payments.send(call).await?;
        if !response.status().is_success() {
            return Err(StepError::Unknown(format!("payments answered {} to a refund", response.status())));
        }
        let payments: Vec<Value> = response.json().await.map_err(|e| StepError::Unknown(e.to_string()))?;
        Ok(payments.iter().any(|p| p["status"] == "refunded"))
    }
}
