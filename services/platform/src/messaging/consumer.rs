//! Idempotent consumption. Each message is handled in a database transaction
//! that first records its id in `processed_messages`; a message seen before
//! is acked without effect. The broker gets the ack only after the commit.
//!
//! - A message that cannot be read (not JSON, unknown schema) or that the
//!   handler calls `Permanent` is rejected at once: dead-lettered.
//! - A `Transient` failure (a dependency down) is requeued; the quorum queue
//!   counts deliveries and dead-letters after `delivery_limit`, so a poison
//!   message cannot block the queue forever.
//!
//! The table, in the consumer's migrations:
//! ```sql
//! CREATE TABLE processed_messages (consumer TEXT NOT NULL, message_id UUID NOT NULL,
//!     processed_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer, message_id));
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::shutdown::Stopping;

use futures::StreamExt;
use lapin::Channel;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sqlx::{PgConnection, PgPool};

use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::broker::Broker;
use super::envelope::{Envelope, decode};
use super::{DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE};
use crate::telemetry::propagation::extract_amqp;

/// Why handling a message failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Retrying cannot help (the message is wrong): dead-letter it now.
    #[error("permanent: {0:#}")]
    Permanent(anyhow::Error),
    /// Retrying may help (a dependency is down): requeue it.
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Transient(error.into())
    }
}

/// What a service does with one event, inside the consumer's transaction.
pub trait MessageHandler: Send + Sync + 'static {
    /// Implemented as an `async fn`; the future must be `Send` (it runs on
    /// the consumer's task).
    fn handle(
        &self,
        conn: &mut PgConnection,
        envelope: &Envelope,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// A consumer's queue and the event types it reads.
#[derive(Debug, Clone)]
pub struct QueueSpec {
    /// Also the consumer's name in `processed_messages`.
    pub queue: String,
    pub routing_keys: Vec<String>,
    /// Deliveries before a message is dead-lettered.
    pub delivery_limit: u32,
    pub prefetch: u16,
}

impl QueueSpec {
    pub fn new(queue: &str, routing_keys: &[&str]) -> Self {
        Self {
            queue: queue.to_owned(),
            routing_keys: routing_keys.iter().map(|k| (*k).to_owned()).collect(),
            delivery_limit: 5,
            prefetch: 16,
        }
    }

    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead-letter", self.queue)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumedLabels {
    pub queue: String,
    /// The service that published the message (its AMQP `app-id`), or
    /// `unknown` for a message without one a service name could be (one
    /// published by hand): with `queue` and `service`, the broker's edges of
    /// the service map, producer → queue → consumer.
    pub producer: String,
    /// processed, duplicate, rejected (dead-lettered), retried
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    pub queue: String,
}

#[derive(Clone, Default)]
pub struct ConsumerMetrics {
    pub consumed: Family<ConsumedLabels, Counter>,
    /// Messages waiting in the queue: the consumer's lag.
    pub lag: Family<QueueLabels, Gauge>,
}

impl ConsumerMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("messaging_consumed_messages", "Messages consumed, by outcome", metrics.consumed.clone());
        registry.register(
            "messaging_consumer_lag_messages",
            "Messages waiting in the consumer's queue",
            metrics.lag.clone(),
        );
        metrics
    }
}

/// Who published a delivery, for the metrics: its `app-id` when that is a
/// service name (lowercase letters, digits and dashes, at most 40), so a
/// stray value cannot multiply the series; `unknown` otherwise.
fn producer_of(delivery: &Delivery) -> String {
    let app_id = delivery.properties.app_id().as_ref().map(|id| id.as_str()).unwrap_or_default();
    let is_service_name = !app_id.is_empty()
        && app_id.len() <= 40
        && app_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if is_service_name { app_id.to_owned() } else { "unknown".to_owned() }
}

pub struct IdempotentConsumer<H> {
    broker: Arc<Broker>,
    pool: PgPool,
    spec: QueueSpec,
    handler: Arc<H>,
    metrics: ConsumerMetrics,
    stopping: Stopping,
}

/// Why one consuming session ended.
enum Ended {
    /// The service is stopping: no more deliveries are taken.
    Stopped,
    /// The broker cancelled the consumer (e.g. the queue was deleted).
    Cancelled,
}

impl<H: MessageHandler> IdempotentConsumer<H> {
    pub fn new(broker: Arc<Broker>, pool: PgPool, spec: QueueSpec, handler: H, metrics: ConsumerMetrics) -> Self {
        Self { broker, pool, spec, handler: Arc::new(handler), metrics, stopping: Stopping::never() }
    }

    /// Stop taking deliveries when the service stops: the message in hand
    /// is finished and acknowledged, the ones prefetched but not started go
    /// back to the queue unacknowledged, for another instance or the next start.
    pub fn stop_when(mut self, stopping: Stopping) -> Self {
        self.stopping = stopping;
        self
    }

    /// Declares the queue now (so that events published from here on are
    /// kept for this consumer even before it consumes), then consumes in the
    /// background. A broker that is down at start-up is only logged: the
    /// consumer declares and consumes once it is back.
    pub async fn start(self) -> tokio::task::JoinHandle<()> {
        let declared = async {
            let channel = self.broker.channel().await?;
            declare_queue(&channel, &self.spec).await?;
            let _ = channel.close(200, "declared".into()).await;
            anyhow::Ok(())
        };
        if let Err(error) = declared.await {
            tracing::warn!(queue = %self.spec.queue, error = %error, "queue not declared at start-up; will retry");
        }
        self.spawn()
    }

    /// Consumes until the service stops, reconnecting after broker failures.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            let mut stopping = self.stopping.clone();
            loop {
                match self.consume().await {
                    Ok(Ended::Stopped) => {
                        tracing::info!(queue = %self.spec.queue, "consumer stopped: the service is stopping");
                        return;
                    }
                    Ok(Ended::Cancelled) => {
                        tracing::warn!(queue = %self.spec.queue, "consumer cancelled by the broker")
                    }
                    Err(error) => {
                        tracing::warn!(queue = %self.spec.queue, error = %error, "consumer stopped")
                    }
                }
                tokio::select! {
                    () = stopping.wait() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        })
    }

    async fn consume(&self) -> anyhow::Result<Ended> {
        let channel = self.broker.channel().await?;
        declare_queue(&channel, &self.spec).await?;
        channel.basic_qos(self.spec.prefetch, BasicQosOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                self.spec.queue.clone().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(queue = %self.spec.queue, "consuming");
        let lag = tokio::spawn(watch_lag(self.broker.clone(), self.spec.clone(), self.metrics.clone()));
        let mut stopping = self.stopping.clone();
        let result = async {
            loop {
                // Between messages only: the one in hand is always finished.
                let delivery = tokio::select! {
                    biased;
                    () = stopping.wait() => return Ok(Ended::Stopped),
                    delivery = deliveries.next() => delivery,
                };
                match delivery {
                    Some(delivery) => self.process(delivery?).await?,
                    None => return Ok(Ended::Cancelled),
                }
            }
        }
        .await;
        lag.abort();
        if matches!(result, Ok(Ended::Stopped)) {
            // Closing the channel hands what was prefetched but not handled
            // back to the queue, unacknowledged.
            let _ = channel.close(200, "service stopping".into()).await;
        }
        result
    }

    async fn process(&self, delivery: Delivery) -> anyhow::Result<()> {
        let outcome = match decode(&delivery.data) {
            Err(error) => {
                tracing::warn!(queue = %self.spec.queue, error = %error, "message dead-lettered");
                delivery.reject(BasicRejectOptions { requeue: false }).await?;
                "rejected"
            }
            Ok(envelope) => match self.handle_once(&envelope).instrument(self.process_span(&delivery, &envelope)).await
            {
                Ok(true) => {
                    delivery.ack(BasicAckOptions::default()).await?;
                    "processed"
                }
                Ok(false) => {
                    delivery.ack(BasicAckOptions::default()).await?;
                    "duplicate"
                }
                Err(HandlerError::Permanent(error)) => {
                    tracing::warn!(queue = %self.spec.queue, message_id = %envelope.message_id, error = %format!("{error:#}"), "message dead-lettered");
                    delivery.reject(BasicRejectOptions { requeue: false }).await?;
                    "rejected"
                }
                Err(HandlerError::Transient(error)) => {
                    tracing::warn!(queue = %self.spec.queue, message_id = %envelope.message_id, error = %format!("{error:#}"), "message requeued");
                    // A pause, so that a dependency that is down is not hammered.
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    delivery.nack(BasicNackOptions { requeue: true, ..Default::default() }).await?;
                    "retried"
                }
            },
        };
        let labels = ConsumedLabels { queue: self.spec.queue.clone(), producer: producer_of(&delivery), outcome };
        self.metrics.consumed.get_or_create(&labels).inc();
        Ok(())
    }

    /// The consumer span of one message: a child of the producer's span,
    /// whose context came in the message headers, so that one trace runs
    /// from the HTTP request through the broker to this consumer.
    fn process_span(&self, delivery: &Delivery, envelope: &Envelope) -> tracing::Span {
        let span = tracing::info_span!(
            "messaging.process",
            otel.name = %format!("process {}", envelope.event_type),
            otel.kind = "consumer",
            messaging.system = "rabbitmq",
            messaging.operation.type = "process",
            messaging.destination.name = %self.spec.queue,
            messaging.message.id = %envelope.message_id,
        );
        let _ = span.set_parent(extract_amqp(delivery.properties.headers().as_ref()));
        span
    }

    /// `Ok(false)` when the message was processed before.
    async fn handle_once(&self, envelope: &Envelope) -> Result<bool, HandlerError> {
        let mut tx = self.pool.begin().await?;
        let first_time =
            sqlx::query("INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&self.spec.queue)
                .bind(envelope.message_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !first_time {
            return Ok(false);
        }
        self.handler.handle(&mut tx, envelope).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Declares the consumer's quorum queue, its dead-letter queue, and bindings.
pub async fn declare_queue(channel: &Channel, spec: &QueueSpec) -> Result<(), lapin::Error> {
    let durable = QueueDeclareOptions { durable: true, ..Default::default() };
    let dead_letters = spec.dead_letter_queue();
    channel.queue_declare(dead_letters.clone().into(), durable, FieldTable::default()).await?;
    channel
        .queue_bind(
            dead_letters.into(),
            DEAD_LETTER_EXCHANGE.into(),
            spec.queue.clone().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    arguments.insert("x-delivery-limit".into(), AMQPValue::LongInt(spec.delivery_limit as i32));
    arguments.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(DEAD_LETTER_EXCHANGE.into()));
    arguments.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(spec.queue.clone().into()));
    channel.queue_declare(spec.queue.clone().into(), durable, arguments).await?;
    for key in &spec.routing_keys {
        channel
            .queue_bind(
                spec.queue.clone().into(),
                EVENTS_EXCHANGE.into(),
                key.clone().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// How many messages wait in `queue` (a passive declare: no side effect).
pub async fn queue_depth(channel: &Channel, queue: &str) -> Result<u32, lapin::Error> {
    let passive = QueueDeclareOptions { passive: true, durable: true, ..Default::default() };
    Ok(channel.queue_declare(queue.into(), passive, FieldTable::default()).await?.message_count())
}

async fn watch_lag(broker: Arc<Broker>, spec: QueueSpec, metrics: ConsumerMetrics) {
    let labels = QueueLabels { queue: spec.queue.clone() };
    loop {
        if let Ok(channel) = broker.channel().await {
            if let Ok(depth) = queue_depth(&channel, &spec.queue).await {
                metrics.lag.get_or_create(&labels).set(i64::from(depth));
            }
            let _ = channel.close(200, "lag probe".into()).await;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}
