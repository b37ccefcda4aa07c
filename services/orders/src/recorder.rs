//! The one way an order changes: append its new events (checked against the
//! version they were decided on), update the read model, put the events
//! other services care about into the outbox, and move the saga on, all in
//! one transaction. Either everything happened or nothing did.

use platform::messaging::envelope::Envelope;
use platform::messaging::outbox;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{Order, OrderEvent};
use crate::event_store::{self, AppendError};
use crate::saga::Step;
use crate::{projection, store};

/// What the saga does next, recorded with the events.
#[derive(Debug, Clone, Copy)]
pub struct SagaMove {
    /// The step this move was decided at: the move (and its events) only
    /// happens if the saga is still there. `None` moves it from anywhere.
    pub from: Option<Step>,
    pub step: Step,
    pub charge_uncertain: bool,
}

/// Records `events` on `order` and returns the order as they leave it.
pub async fn record(
    pool: &PgPool,
    order: &Order,
    events: &[OrderEvent],
    saga: Option<SagaMove>,
) -> Result<Order, AppendError> {
    let mut tx = pool.begin().await?;
    let at = event_store::append(&mut tx, order.id, order.version, events).await?;
    let mut next = order.clone();
    for event in events {
        next.apply(event, at);
        if let Some(envelope) = integration_event(&next, event) {
            outbox::enqueue(&mut tx, &envelope).await?;
        }
    }
    projection::project(&mut tx, &next).await?;
    if let Some(saga) = saga {
        // Two runners (one slow, one that took over its lease) may decide the
        // same step; the events' version check does not catch a runner whose
        // order was fresh but whose step was stale. This does.
        if !store::advance_saga(&mut tx, order.id, saga.from, saga.step, saga.charge_uncertain).await? {
            return Err(AppendError::Conflict(order.id));
        }
    }
    tx.commit().await?;
    Ok(next)
}

/// Records the first event of a new order, with its saga and checkout key;
/// returns the order.
pub async fn record_new(
    pool: &PgPool,
    order_id: Uuid,
    placed: &OrderEvent,
    saga: NewSaga<'_>,
    checkout_key: Option<(&str, &[u8])>,
) -> Result<Order, AppendError> {
    let mut tx = pool.begin().await?;
    let at = event_store::append(&mut tx, order_id, 0, std::slice::from_ref(placed)).await?;
    let order = Order::replay(order_id, [(placed, at)]).expect("a stream that starts with OrderPlaced");
    if let Some(envelope) = integration_event(&order, placed) {
        outbox::enqueue(&mut tx, &envelope).await?;
    }
    projection::project(&mut tx, &order).await?;
    store::insert_saga(&mut tx, order_id, saga.payment_method, saga.first_run_window).await?;
    if let Some((key, hash)) = checkout_key {
        store::insert_request(&mut tx, order.customer_id, key, hash, order_id).await?;
    }
    tx.commit().await?;
    Ok(order)
}

/// How a new order's saga starts.
pub struct NewSaga<'a> {
    pub payment_method: &'a str,
    /// The request that created the saga runs it first; recovery leaves it
    /// alone for this long (and takes over after, if that runner died).
    pub first_run_window: std::time::Duration,
}

/// The message other services get for an event, if they get one. Schema
/// version 1 of `order.created`, `order.confirmed`, `order.cancelled`.
fn integration_event(order: &Order, event: &OrderEvent) -> Option<Envelope> {
    let common = json!({
        "order_id": order.id,
        "customer_id": order.customer_id,
        "total_minor": order.total.amount_minor,
        "currency": order.total.currency,
    });
    let (event_type, extra) = match event {
        OrderEvent::OrderPlaced { lines, .. } => ("order.created", json!({ "lines": lines })),
        OrderEvent::OrderConfirmed => ("order.confirmed", json!({ "payment_id": order.payment_id })),
        OrderEvent::OrderCancelled { reason } => ("order.cancelled", json!({ "reason": reason })),
        _ => return None,
    };
    let mut data = common;
    data.as_object_mut().expect("an object").extend(extra.as_object().expect("an object").clone());
    Some(Envelope::new(event_type, order.id, data))
}
