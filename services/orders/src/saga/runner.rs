//! Runs one saga as far as it can go now.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;
use tracing::Instrument;
use uuid::Uuid;

use super::Step;
use crate::clients::{Charge, Clients, Commit, Reserve, StepError};
use crate::configuration::SagaSettings;
use crate::domain::{Order, OrderEvent};
use crate::event_store;
use crate::metrics::{OutcomeLabels, ReasonLabels, SagaMetrics, StepLabels};
use crate::recorder::{self, SagaMove};
use crate::store::{self, SagaRow};

/// What a step decided: events to record and where the saga goes next.
struct Transition {
    events: Vec<OrderEvent>,
    next: SagaMove,
}

impl Transition {
    fn to(step: Step, events: Vec<OrderEvent>) -> Self {
        Self { events, next: SagaMove { from: None, step, charge_uncertain: false } }
    }

    fn cancel(reason: &str, charge_uncertain: bool) -> Self {
        Self {
            events: vec![OrderEvent::OrderCancelled { reason: reason.to_owned() }],
            next: SagaMove { from: None, step: Step::Compensate, charge_uncertain },
        }
    }
}

pub struct SagaRunner {
    pool: PgPool,
    clients: Clients,
    settings: SagaSettings,
    outbox: Arc<Notify>,
    metrics: SagaMetrics,
    /// Set by `halt_after`: this instance behaves as if it had died.
    halted: std::sync::atomic::AtomicBool,
}

impl SagaRunner {
    pub fn new(
        pool: PgPool,
        clients: Clients,
        settings: SagaSettings,
        outbox: Arc<Notify>,
        metrics: SagaMetrics,
    ) -> Self {
        Self { pool, clients, settings, outbox, metrics, halted: Default::default() }
    }

    /// True once a simulated crash (`halt_after`) stopped this instance's sagas.
    pub fn is_halted(&self) -> bool {
        self.halted.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs the saga of `order_id` until it is done or a step must wait.
    /// Does nothing when another runner holds the saga.
    pub async fn run(&self, order_id: Uuid) {
        if let Err(error) = self.try_run(order_id).await {
            tracing::warn!(%order_id, error = %format!("{error:#}"), "saga runner failed; recovery will resume it");
            let _ = store::retry_saga_later(&self.pool, order_id, &error.to_string(), self.settings.retry_base).await;
        }
    }

    async fn try_run(&self, order_id: Uuid) -> anyhow::Result<()> {
        if self.is_halted() {
            return Ok(());
        }
        let Some(mut saga) = store::acquire_saga(&self.pool, order_id, self.settings.lease).await? else {
            return Ok(());
        };
        loop {
            let mut conn = self.pool.acquire().await?;
            let order = event_store::load(&mut conn, order_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("saga without an order"))?;
            drop(conn);
            let step = saga.step;
            if step == Step::Done {
                return Ok(());
            }
            // One span per step: the calls to inventory and payments and the
            // events it records (and so their publication) hang under it.
            let step_span = tracing::info_span!(
                "saga.step",
                otel.name = %format!("saga {}", step.as_str()),
                saga.step = step.as_str(),
                order_id = %order_id,
            );
            let transition = match self.decide(&order, &saga).instrument(step_span.clone()).await {
                Ok(transition) => transition,
                Err(reason) => {
                    self.metrics.step_retries.get_or_create(&StepLabels { step: step.as_str() }).inc();
                    let delay = self.backoff(saga.attempts);
                    tracing::info!(%order_id, step = step.as_str(), %reason, retry_in_ms = delay.as_millis() as u64, "saga step deferred");
                    store::retry_saga_later(&self.pool, order_id, &reason, delay).await?;
                    return Ok(());
                }
            };
            let next = SagaMove { from: Some(step), ..transition.next };
            let recorded = recorder::record(&self.pool, &order, &transition.events, Some(next));
            let after = match recorded.instrument(step_span).await {
                Ok(after) => after,
                Err(crate::event_store::AppendError::Conflict(_)) => {
                    // Someone (a customer's cancellation) changed the order meanwhile: decide again.
                    store::retry_saga_later(&self.pool, order_id, "concurrent change", Duration::ZERO).await?;
                    return Ok(());
                }
                Err(error) => return Err(error.into()),
            };
            self.outbox.notify_one();
            self.count_outcome(&transition.events);
            tracing::info!(%order_id, from = step.as_str(), to = transition.next.step.as_str(), status = after.status.as_str(), "saga step done");
            saga.step = transition.next.step;
            saga.charge_uncertain = transition.next.charge_uncertain;
            saga.attempts = 0;
            if self.settings.halt_after == Some(step) {
                tracing::warn!(%order_id, step = step.as_str(), "saga halted by ORDERS_SAGA_HALT_AFTER (simulated crash)");
                self.halted.store(true, std::sync::atomic::Ordering::Relaxed);
                return Ok(());
            }
            if saga.step == Step::Done {
                store::release_saga(&self.pool, order_id).await?;
                return Ok(());
            }
        }
    }

    /// Performs the saga's current step; `Err` means "try again later".
    async fn decide(&self, order: &Order, saga: &SagaRow) -> Result<Transition, String> {
        match saga.step {
            Step::Reserve => Ok(match self.clients.reserve(order.id, &order.lines).await {
                Ok(Reserve::Reserved) => Transition::to(Step::Charge, vec![OrderEvent::StockReserved]),
                Ok(Reserve::Insufficient) => Transition::cancel("out_of_stock", false),
                Ok(Reserve::Closed) => Transition::cancel("reservation_closed", false),
                Err(error) => {
                    tracing::warn!(order_id = %order.id, error = %error, "reservation failed");
                    Transition::cancel("inventory_unavailable", false)
                }
            }),
            Step::Charge => match self.clients.charge(order, &saga.payment_method).await {
                Ok(Charge::Captured { payment_id }) => Ok(Transition::to(
                    Step::Commit,
                    vec![OrderEvent::PaymentCaptured { payment_id }, OrderEvent::OrderConfirmed],
                )),
                Ok(Charge::Declined) => Ok(Transition::cancel("payment_declined", false)),
                Ok(Charge::InProgress) => Err("the charge is still in progress".into()),
                Ok(Charge::Unrecognised { reason }) => {
                    tracing::warn!(order_id = %order.id, %reason, "charge answer not understood");
                    Ok(Transition::cancel("payment_unrecognised", true))
                }
                Err(StepError::NotDone(reason)) => {
                    tracing::warn!(order_id = %order.id, %reason, "charge failed");
                    Ok(Transition::cancel("payment_unavailable", false))
                }
                Err(StepError::Unknown(reason)) => {
                    tracing::warn!(order_id = %order.id, %reason, "charge outcome unknown");
                    Ok(Transition::cancel("payment_unavailable", true))
                }
            },
            Step::Commit => match self.clients.commit(order.id).await {
                Ok(Commit::Committed) => Ok(Transition::to(Step::Done, vec![])),
                // Held too long (the reservation expired): the order cannot be
                // fulfilled; cancel and refund.
                Ok(Commit::Closed) => Ok(Transition::cancel("reservation_expired", false)),
                Err(error) => Err(error.to_string()),
            },
            Step::Compensate => self.compensate(order, saga).await,
            Step::Done => Ok(Transition::to(Step::Done, vec![])),
        }
    }

    /// Undoes what the order holds: stock back, money back. Every call is
    /// idempotent, so a compensation interrupted half-way is simply redone.
    async fn compensate(&self, order: &Order, saga: &SagaRow) -> Result<Transition, String> {
        self.clients.cancel_reservation(order.id).await.map_err(|e| e.to_string())?;
        let refunded = if order.payment_id.is_some() && !order.payment_refunded {
            self.clients.refund_order(order.id).await.map_err(|e| e.to_string())?
        } else if saga.charge_uncertain && order.payment_id.is_none() {
            // Ask again with the same key: payments answers what happened.
            match self.clients.charge(order, &saga.payment_method).await {
                Ok(Charge::Captured { .. }) => self.clients.refund_order(order.id).await.map_err(|e| e.to_string())?,
                Ok(Charge::Declined) | Err(StepError::NotDone(_)) => false,
                Ok(Charge::InProgress) => return Err("the charge is still in progress".into()),
                // Payments has finished the charge but says something we
                // cannot read: give back whatever was captured for the order.
                Ok(Charge::Unrecognised { reason }) => {
                    tracing::warn!(order_id = %order.id, %reason, "refunding by order: charge answer not understood");
                    self.clients.refund_order(order.id).await.map_err(|e| e.to_string())?
                }
                Err(StepError::Unknown(reason)) => return Err(reason),
            }
        } else {
            false
        };
        let mut events = Vec::new();
        if !order.stock_released {
            events.push(OrderEvent::StockReleased);
        }
        if refunded && !order.payment_refunded {
            events.push(OrderEvent::PaymentRefunded);
        }
        Ok(Transition::to(Step::Done, events))
    }

    fn backoff(&self, attempts: i32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.clamp(0, 10) as u32);
        (self.settings.retry_base * factor).min(Duration::from_secs(30))
    }

    fn count_outcome(&self, events: &[OrderEvent]) {
        for event in events {
            match event {
                OrderEvent::OrderConfirmed => {
                    self.metrics.orders.get_or_create(&OutcomeLabels { outcome: "confirmed" }).inc();
                }
                OrderEvent::OrderCancelled { reason } => {
                    self.metrics.orders.get_or_create(&OutcomeLabels { outcome: "cancelled" }).inc();
                    self.metrics.compensations.get_or_create(&ReasonLabels { reason: reason.clone() }).inc();
                }
                _ => {}
            }
        }
    }
}
