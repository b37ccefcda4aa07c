//! The shop's queues, in one place: each consumer declares its own when it
//! starts, and the producer declares them all before it publishes. A topic
//! exchange drops a message no queue is bound for, so an event published
//! before its consumers ever connected (a fresh broker, a consumer that
//! lost the race with its broker's start) would be acknowledged and lost;
//! declared by the producer too, it waits in its queue instead.

use super::consumer::QueueSpec;

/// inventory's queue: confirmed orders sell the reserved stock, cancelled
/// ones return it.
pub fn inventory_order_events() -> QueueSpec {
    QueueSpec::new("inventory.order-events", &["order.confirmed", "order.cancelled"])
}

/// notifications' queue: the customer hears about the order's outcome.
pub fn notifications_order_events() -> QueueSpec {
    QueueSpec::new("notifications.order-events", &["order.confirmed", "order.cancelled"])
}

/// Every queue fed by orders' events: what orders declares before publishing.
pub fn order_event_queues() -> Vec<QueueSpec> {
    vec![inventory_order_events(), notifications_order_events()]
}
