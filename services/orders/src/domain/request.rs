//! What a customer sends to place an order, parsed.

use platform::money::PaymentToken;
use serde::Deserialize;

/// Body of `POST /api/v1/orders` (and of v2's: the request did not change).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderRequest {
    /// 1 to 50 distinct products.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<RequestedLine>,
    /// A payment provider token; `tok_visa` when absent (`tok_decline` is always declined).
    #[schema(pattern = "^[A-Za-z0-9_]{1,64}$", example = "tok_visa")]
    pub payment_method: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestedLine {
    #[schema(minimum = 1)]
    pub product_id: i64,
    #[schema(minimum = 1, maximum = 100)]
    pub quantity: i64,
}

/// The means of payment of an order that names none.
const DEFAULT_PAYMENT_METHOD: &str = "tok_visa";

/// A valid order request: 1 to 50 distinct products, 1 to 100 of each.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub lines: Vec<RequestedLine>,
    pub payment_method: PaymentToken,
}

impl NewOrder {
    pub fn parse(request: NewOrderRequest) -> Result<Self, String> {
        if request.items.is_empty() {
            return Err("an order needs at least one item".into());
        }
        if request.items.len() > 50 {
            return Err("an order has at most 50 lines".into());
        }
        let mut lines = request.items;
        for line in &lines {
            if line.product_id <= 0 {
                return Err(format!("product_id must be positive, got {}", line.product_id));
            }
            if !(1..=100).contains(&line.quantity) {
                return Err(format!("quantity must be between 1 and 100, got {}", line.quantity));
            }
        }
        lines.sort_by_key(|l| l.product_id);
        if lines.windows(2).any(|pair| pair[0].product_id == pair[1].product_id) {
            return Err("each product may appear once; raise its quantity instead".into());
        }
        let payment_method = PaymentToken::parse(request.payment_method.as_deref().unwrap_or(DEFAULT_PAYMENT_METHOD))?;
        Ok(Self { lines, payment_method })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(items: &[(i64, i64)]) -> NewOrderRequest {
        NewOrderRequest {
            items: items.iter().map(|&(product_id, quantity)| RequestedLine { product_id, quantity }).collect(),
            payment_method: None,
        }
    }

    #[test]
    fn empty_orders_and_bad_quantities_are_refused() {
        assert!(NewOrder::parse(request(&[])).is_err());
        assert!(NewOrder::parse(request(&[(1, 0)])).is_err());
        assert!(NewOrder::parse(request(&[(1, -1)])).is_err());
        assert!(NewOrder::parse(request(&[(1, 101)])).is_err());
        assert!(NewOrder::parse(request(&[(0, 1)])).is_err());
        assert!(NewOrder::parse(request(&[(1, 1), (1, 2)])).is_err());
    }

    #[test]
    fn a_valid_order_defaults_to_the_test_card() {
        let order = NewOrder::parse(request(&[(2, 1), (1, 3)])).unwrap();
        assert_eq!(order.payment_method.as_str(), "tok_visa");
        assert_eq!(order.lines[0].product_id, 1, "sorted");
    }
}
