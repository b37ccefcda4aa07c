//! Everything that can happen to an order. Events are facts: once appended
//! they are never changed; new needs get new event types or new optional
//! fields, and `SCHEMA_VERSION` says which shape a stored event has.

use platform::money::Currency;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shape of the events this code writes.
pub const SCHEMA_VERSION: i32 = 1;

/// One line of an order, priced when it was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = OrderLine)]
pub struct Line {
    pub product_id: i64,
    /// Copied from the catalog at checkout: later renames do not rewrite history.
    pub name: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderEvent {
    OrderPlaced { customer_id: Uuid, lines: Vec<Line>, currency: Currency, total_minor: i64 },
    StockReserved,
    PaymentCaptured { payment_id: Uuid },
    OrderConfirmed,
    OrderCancelled { reason: String },
    StockReleased,
    PaymentRefunded,
    OrderShipped,
}

impl OrderEvent {
    /// The stored `event_type`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::OrderPlaced { .. } => "order_placed",
            Self::StockReserved => "stock_reserved",
            Self::PaymentCaptured { .. } => "payment_captured",
            Self::OrderConfirmed => "order_confirmed",
            Self::OrderCancelled { .. } => "order_cancelled",
            Self::StockReleased => "stock_released",
            Self::PaymentRefunded => "payment_refunded",
            Self::OrderShipped => "order_shipped",
        }
    }
}
