//! Payment requests that parse.

use platform::money::{Currency, Money, PaymentToken};
use serde::Deserialize;
use uuid::Uuid;

/// Body of `POST /api/v1/payments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    pub order_id: Uuid,
    pub amount_minor: i64,
    pub currency: Currency,
    /// A token from the payment provider, e.g. `tok_visa`.
    pub payment_method: String,
}

/// A charge that can be sent: a positive amount and a plausible token.
#[derive(Debug, Clone)]
pub struct Charge {
    pub order_id: Uuid,
    pub amount: Money,
    pub payment_method: PaymentToken,
}

impl Charge {
    pub fn parse(request: ChargeRequest) -> Result<Self, String> {
        if request.amount_minor <= 0 {
            return Err(format!("amount_minor must be positive, got {}", request.amount_minor));
        }
        Ok(Self {
            order_id: request.order_id,
            amount: Money::new(request.amount_minor, request.currency)?,
            payment_method: PaymentToken::parse(&request.payment_method)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(amount_minor: i64, payment_method: &str) -> ChargeRequest {
        ChargeRequest {
            order_id: Uuid::new_v4(),
            amount_minor,
            currency: Currency::parse("EUR").unwrap(),
            payment_method: payment_method.into(),
        }
    }

    #[test]
    fn charges_need_a_positive_amount_and_a_token() {
        assert!(Charge::parse(request(0, "tok_visa")).is_err());
        assert!(Charge::parse(request(-100, "tok_visa")).is_err());
        assert!(Charge::parse(request(100, "")).is_err());
        assert!(Charge::parse(request(100, "4242 4242 4242 4242")).is_err(), "no card numbers");
        assert!(Charge::parse(request(100, "tok_visa")).is_ok());
    }
}
