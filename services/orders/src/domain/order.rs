//! The order aggregate: its state is nothing but its events, folded.

use chrono::{DateTime, Utc};
use platform::money::Money;
use serde::Serialize;
use uuid::Uuid;

use super::events::{Line, OrderEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Shipped,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Confirmed => "CONFIRMED",
            Self::Shipped => "SHIPPED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub lines: Vec<Line>,
    pub total: Money,
    pub status: OrderStatus,
    pub cancel_reason: Option<String>,
    pub stock_reserved: bool,
    pub stock_released: bool,
    pub payment_id: Option<Uuid>,
    pub payment_refunded: bool,
    /// Number of events applied: the stream version.
    pub version: i32,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why an order cannot be cancelled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CancelRefusal {
    #[error("the order is still being processed")]
    InProgress,
    #[error("the order has shipped")]
    Shipped,
    #[error("the order is already cancelled")]
    AlreadyCancelled,
}

impl Order {
    /// Rebuilds an order from its events, oldest first. `None` for an empty
    /// stream or one that does not start with `OrderPlaced`.
    pub fn replay<'a>(id: Uuid, events: impl IntoIterator<Item = (&'a OrderEvent, DateTime<Utc>)>) -> Option<Self> {
        let mut events = events.into_iter();
        let (first, at) = events.next()?;
        let OrderEvent::OrderPlaced { customer_id, lines, currency, total_minor } = first else {
            return None;
        };
        let mut order = Self {
            id,
            customer_id: *customer_id,
            lines: lines.clone(),
            total: Money { amount_minor: *total_minor, currency: currency.clone() },
            status: OrderStatus::Pending,
            cancel_reason: None,
            stock_reserved: false,
            stock_released: false,
            payment_id: None,
            payment_refunded: false,
            version: 1,
            placed_at: at,
            updated_at: at,
        };
        for (event, at) in events {
            order.apply(event, at);
        }
        Some(order)
    }

    /// Applies one more event. Never fails: events are facts already decided.
    pub fn apply(&mut self, event: &OrderEvent, at: DateTime<Utc>) {
        match event {
            OrderEvent::OrderPlaced { .. } => {}
            OrderEvent::StockReserved => self.stock_reserved = true,
            OrderEvent::PaymentCaptured { payment_id } => self.payment_id = Some(*payment_id),
            OrderEvent::OrderConfirmed => self.status = OrderStatus::Confirmed,
            OrderEvent::OrderCancelled { reason } => {
                self.status = OrderStatus::Cancelled;
                self.cancel_reason = Some(reason.clone());
            }
            OrderEvent::StockReleased => self.stock_released = true,
            OrderEvent::PaymentRefunded => self.payment_refunded = true,
            OrderEvent::OrderShipped => self.status = OrderStatus::Shipped,
        }
        self.version += 1;
        self.updated_at = at;
    }

    /// The event a customer's cancellation produces, if it is allowed:
    /// only confirmed orders that have not shipped.
    pub fn cancel_by_customer(&self) -> Result<OrderEvent, CancelRefusal> {
        match self.status {
            OrderStatus::Confirmed => Ok(OrderEvent::OrderCancelled { reason: "customer_request".into() }),
            OrderStatus::Pending => Err(CancelRefusal::InProgress),
            OrderStatus::Shipped => Err(CancelRefusal::Shipped),
            OrderStatus::Cancelled => Err(CancelRefusal::AlreadyCancelled),
        }
    }

    pub fn item_count(&self) -> i32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

#[cfg(test)]
mod tests {
    use platform::money::Currency;

    use super::*;

    fn placed() -> OrderEvent {
        OrderEvent::OrderPlaced {
            customer_id: Uuid::nil(),
            lines: vec![Line { product_id: 1, name: "Mug".into(), unit_price_minor: 500, quantity: 2 }],
            currency: Currency::parse("EUR").unwrap(),
            total_minor: 1000,
        }
    }

    fn replay(events: &[OrderEvent]) -> Order {
        let now = Utc::now();
        Order::replay(Uuid::nil(), events.iter().map(|e| (e, now))).unwrap()
    }

    #[test]
    fn a_placed_order_is_pending() {
        let order = replay(&[placed()]);
        assert_eq!((order.status, order.version, order.item_count()), (OrderStatus::Pending, 1, 2));
    }

    #[test]
    fn the_happy_path_ends_confirmed() {
        let payment_id = Uuid::new_v4();
        let order = replay(&[
            placed(),
            OrderEvent::StockReserved,
            OrderEvent::PaymentCaptured { payment_id },
            OrderEvent::OrderConfirmed,
        ]);
        assert_eq!(order.status, OrderStatus::Confirmed);
        assert_eq!(order.payment_id, Some(payment_id));
        assert_eq!(order.version, 4);
    }

    #[test]
    fn cancellation_keeps_its_reason() {
        let order = replay(&[
            placed(),
            OrderEvent::OrderCancelled { reason: "payment_declined".into() },
            OrderEvent::StockReleased,
        ]);
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_eq!(order.cancel_reason.as_deref(), Some("payment_declined"));
        assert!(order.stock_released);
    }

    #[test]
    fn a_stream_must_start_with_the_order_being_placed() {
        let now = Utc::now();
        assert!(Order::replay(Uuid::nil(), [(&OrderEvent::StockReserved, now)]).is_none());
        assert!(Order::replay(Uuid::nil(), std::iter::empty()).is_none());
    }

    #[test]
    fn only_confirmed_orders_may_be_cancelled_by_the_customer() {
        assert_eq!(replay(&[placed()]).cancel_by_customer(), Err(CancelRefusal::InProgress));
        let confirmed = replay(&[placed(), OrderEvent::OrderConfirmed]);
        assert!(confirmed.cancel_by_customer().is_ok());
        let shipped = replay(&[placed(), OrderEvent::OrderConfirmed, OrderEvent::OrderShipped]);
        assert_eq!(shipped.cancel_by_customer(), Err(CancelRefusal::Shipped));
        let cancelled = replay(&[placed(), OrderEvent::OrderCancelled { reason: "x".into() }]);
        assert_eq!(cancelled.cancel_by_customer(), Err(CancelRefusal::AlreadyCancelled));
    }

    #[test]
    fn events_round_trip_through_json() {
        for event in [placed(), OrderEvent::PaymentCaptured { payment_id: Uuid::new_v4() }, OrderEvent::OrderShipped] {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], event.name());
            assert_eq!(serde_json::from_value::<OrderEvent>(json).unwrap(), event);
        }
    }
}
