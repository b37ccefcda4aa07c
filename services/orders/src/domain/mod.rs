//! The order: what a customer may ask for, the events that happen to an
//! order, and the aggregate those events add up to.

mod events;
mod order;
mod request;

pub use events::{Line, OrderEvent, SCHEMA_VERSION};
pub use order::{CancelRefusal, Order, OrderStatus};
pub use request::{NewOrder, NewOrderRequest, RequestedLine};
