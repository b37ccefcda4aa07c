//! The orders service's calls to catalog, inventory and payments, with the
//! answers the saga cares about. Every call goes through the platform
//! client; each outcome below says whether the effect happened, did not,
//! or is unknown.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use platform::client::{Call, CallError, ServiceClient};
use platform::money::Currency;
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

/// A payment's status as payments writes it. A status this version of
/// orders does not know is its own case, never read as one it knows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Captured,
    Declined,
    Refunded,
    #[serde(other)]
    Unrecognised,
}

/// The part of a payments answer orders acts on.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentAnswer {
    pub id: Uuid,
    pub status: PaymentStatus,
}

/// Why inventory refused a reservation (its 409's error code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationRefusal {
    InsufficientStock,
    /// The order's reservation was cancelled before this one arrived.
    Closed,
    /// A code this version of orders does not know.
    Unrecognised(String),
}

impl ReservationRefusal {
    pub fn from_code(code: &str) -> Self {
        match code {
            "insufficient_stock" => Self::InsufficientStock,
            "reservation_closed" => Self::Closed,
            other => Self::Unrecognised(other.to_owned()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogProduct {
    pub id: i64,
    pub name: String,
    pub price_cents: i64,
    pub currency: Currency,
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
    /// Payments answered that the charge is done, in words orders does not
    /// understand (an unknown status, a body it cannot read): money may have
    /// been taken. Never a decline: the order is cancelled and whatever was
    /// captured for it is refunded.
    Unrecognised {
        reason: String,
    },
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
            StatusCode::CONFLICT => match ReservationRefusal::from_code(&error_code(response).await) {
                ReservationRefusal::InsufficientStock => Ok(Reserve::Insufficient),
                ReservationRefusal::Closed => Ok(Reserve::Closed),
                // Whether units are held for the order is unknown: the
                // saga cancels, and cancelling a reservation is idempotent.
                ReservationRefusal::Unrecognised(code) => {
                    Err(StepError::Unknown(format!("inventory refused a reservation with {code:?}")))
                }
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
            "amount_minor": order.total.amount_minor,
            "currency": order.total.currency,
            "payment_method": payment_method,
        });
        let mut headers = HeaderMap::new();
        let key = HeaderValue::from_str(&format!("order-{}", order.id)).expect("ASCII");
        headers.insert(platform::idempotency_key::HEADER, key);
        let response =
            self.payments.send(Call::new(Method::POST, "/api/v1/payments").json(&body).headers(headers)).await?;
        match response.status() {
            status if status.is_success() => {
                // The body did not arrive whole: as good as no answer.
                let bytes = response.bytes().await.map_err(|e| StepError::Unknown(e.to_string()))?;
                Ok(charge_outcome(status, &bytes))
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
    /// An answer that lists a payment in a status orders does not know is
    /// not taken as "nothing to refund": the refund is asked for again.
    pub async fn refund_order(&self, order_id: Uuid) -> Result<bool, StepError> {
        let call = Call::new(Method::POST, format!("/internal/v1/orders/{order_id}/refund"));
        let response = self.payments.send(call).await?;
        if !response.status().is_success() {
            return Err(StepError::Unknown(format!("payments answered {} to a refund", response.status())));
        }
        let payments: Vec<PaymentAnswer> = response.json().await.map_err(|e| StepError::Unknown(e.to_string()))?;
        if let Some(unknown) = payments.iter().find(|p| p.status == PaymentStatus::Unrecognised) {
            return Err(StepError::Unknown(format!("payment {} is in a status orders does not know", unknown.id)));
        }
        Ok(payments.iter().any(|p| p.status == PaymentStatus::Refunded))
    }
}

/// What a successful answer to a charge means. Only a readable `captured`
/// with its id is a capture and only a readable `declined` is a decline;
/// everything else is `Unrecognised`.
pub fn charge_outcome(status: StatusCode, body: &[u8]) -> Charge {
    match serde_json::from_slice::<PaymentAnswer>(body) {
        Ok(PaymentAnswer { id, status: PaymentStatus::Captured }) => Charge::Captured { payment_id: id },
        Ok(PaymentAnswer { status: PaymentStatus::Declined, .. }) => Charge::Declined,
        Ok(PaymentAnswer { id, status: other }) => {
            Charge::Unrecognised { reason: format!("payments answered {status} with payment {id} {other:?}") }
        }
        Err(error) => Charge::Unrecognised {
            reason: format!("payments answered {status} with a body orders cannot read ({error})"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(body: &str) -> Charge {
        charge_outcome(StatusCode::CREATED, body.as_bytes())
    }

    const ID: &str = "0190c0de-0000-7000-8000-000000000001";

    #[test]
    fn only_a_readable_capture_is_a_capture_and_only_a_readable_decline_a_decline() {
        assert!(matches!(outcome(&format!(r#"{{"id":"{ID}","status":"captured"}}"#)), Charge::Captured { .. }));
        assert!(matches!(outcome(&format!(r#"{{"id":"{ID}","status":"declined"}}"#)), Charge::Declined));
    }

    #[test]
    fn an_answer_orders_does_not_understand_is_never_a_decline() {
        for body in [
            format!(r#"{{"id":"{ID}","status":"pending_review"}}"#),
            format!(r#"{{"id":"{ID}","status":"refunded"}}"#),
            format!(r#"{{"id":"{ID}","state":"captured"}}"#),
            r#"{"id":"not-a-uuid","status":"captured"}"#.to_owned(),
            r#"{"status":"captured"}"#.to_owned(),
            "<html>OK</html>".to_owned(),
            String::new(),
        ] {
            assert!(matches!(outcome(&body), Charge::Unrecognised { .. }), "{body}");
        }
    }

    #[test]
    fn inventory_refusals_are_read_by_code_and_an_unknown_code_is_its_own_case() {
        assert_eq!(ReservationRefusal::from_code("insufficient_stock"), ReservationRefusal::InsufficientStock);
        assert_eq!(ReservationRefusal::from_code("reservation_closed"), ReservationRefusal::Closed);
        assert_eq!(
            ReservationRefusal::from_code("stock_frozen"),
            ReservationRefusal::Unrecognised("stock_frozen".into())
        );
    }
}
