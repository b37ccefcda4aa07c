//! The transactional outbox. A service writes its events into its own
//! `outbox` table in the same transaction as the state change they describe;
//! the relay publishes them to the broker in order, waits for the broker's
//! confirm, and only then marks them published. A crash between publish and
//! mark republishes (at-least-once); consumers deduplicate on `message_id`.
//!
//! The table, in the service's migrations:
//! ```sql
//! CREATE TABLE outbox (
//!     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
//!     message_id UUID NOT NULL UNIQUE, event_type TEXT NOT NULL, payload JSONB NOT NULL,
//!     created_at TIMESTAMPTZ NOT NULL DEFAULT now(), published_at TIMESTAMPTZ,
//!     trace_context TEXT);
//! CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
//! ```

use std::sync::Arc;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::Notify;

use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::EVENTS_EXCHANGE;
use super::broker::Broker;
use super::envelope::Envelope;
use crate::shutdown::Stopping;
use crate::telemetry::propagation::{from_traceparent, inject_amqp, to_traceparent};

/// Writes `envelope` to the outbox, inside the caller's transaction, with
/// the current trace context so that its publication joins the same trace.
pub async fn enqueue(conn: &mut PgConnection, envelope: &Envelope) -> Result<(), sqlx::Error> {
    let trace_context = to_traceparent(&tracing::Span::current().context());
    sqlx::query("INSERT INTO outbox (message_id, event_type, payload, trace_context) VALUES ($1, $2, $3, $4)")
        .bind(envelope.message_id)
        .bind(&envelope.event_type)
        .bind(serde_json::to_value(envelope).expect("an envelope serialises"))
        .bind(trace_context)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Clone, Default)]
pub struct OutboxMetrics {
    /// Events written but not yet confirmed by the broker.
    pub pending: Gauge,
    pub published: Counter,
    pub publish_failures: Counter,
}

impl OutboxMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("outbox_pending_messages", "Events in the outbox not yet published", metrics.pending.clone());
        registry.register("outbox_published_messages", "Events published from the outbox", metrics.published.clone());
        registry.register(
            "outbox_publish_failures",
            "Outbox publishing attempts that failed (broker down, nack)",
            metrics.publish_failures.clone(),
        );
        metrics
    }
}

/// Publishes the outbox, in the background, until the service stops.
pub struct OutboxRelay {
    producer: &'static str,
    pool: PgPool,
    broker: Arc<Broker>,
    metrics: OutboxMetrics,
    wake: Arc<Notify>,
    stopping: Stopping,
}

/// How many events one round publishes.
const BATCH: i64 = 100;
/// Polling interval when nobody wakes the relay.
const IDLE_POLL: Duration = Duration::from_millis(500);

impl OutboxRelay {
    /// `producer`: the service whose events these are; every message carries
    /// it (AMQP `app-id`), so consumers can count what each producer sent
    /// through their queue (the service map's broker edges).
    pub fn new(producer: &'static str, pool: PgPool, broker: Arc<Broker>, metrics: OutboxMetrics) -> Self {
        Self { producer, pool, broker, metrics, wake: Arc::new(Notify::new()), stopping: Stopping::never() }
    }

    /// Stop when the service stops, between batches: a batch being
    /// published is finished and marked; what is left waits in the outbox
    /// for the next start (or another instance).
    pub fn stop_when(mut self, stopping: Stopping) -> Self {
        self.stopping = stopping;
        self
    }

    /// Call after committing events, so they leave at once instead of at the next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let mut channel: Option<Channel> = None;
        let mut backoff = Duration::from_millis(200);
        let mut stopping = self.stopping.clone();
        while !stopping.is_stopping() {
            let pause = match self.publish_round(&mut channel).await {
                Ok(published) => {
                    backoff = Duration::from_millis(200);
                    if published as i64 == BATCH {
                        continue; // more waiting
                    }
                    (IDLE_POLL, true)
                }
                Err(error) => {
                    channel = None;
                    self.metrics.publish_failures.inc();
                    tracing::warn!(error = %error, retry_in_ms = backoff.as_millis() as u64, "outbox relay: publishing failed");
                    let pause = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    // A new event does not cut a back-off short: the broker is down.
                    (pause, false)
                }
            };
            let (pause, wakeable) = pause;
            tokio::select! {
                () = stopping.wait() => {}
                () = self.wake.notified(), if wakeable => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Some(channel) = channel {
            let _ = channel.close(200, "service stopping".into()).await;
        }
        tracing::info!("outbox relay stopped between batches: the service is stopping");
    }

    /// Publishes one batch; returns how many events left.
    async fn publish_round(&self, channel: &mut Option<Channel>) -> anyhow::Result<usize> {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").fetch_one(&self.pool).await?;
        self.metrics.pending.set(pending);
        if pending == 0 {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        // SKIP LOCKED: several instances of a service relay without publishing twice.
        let rows = sqlx::query(
            "SELECT id, payload, trace_context FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        if channel.as_ref().is_none_or(|c| !c.status().connected()) {
            let fresh = self.broker.channel().await?;
            fresh.confirm_select(ConfirmSelectOptions::default()).await?;
            *channel = Some(fresh);
        }
        let channel = channel.as_ref().expect("set above");
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let envelope: Envelope = serde_json::from_value(row.try_get("payload")?)?;
            let stored: Option<String> = row.try_get("trace_context")?;
            let span = publish_span(&envelope);
            let _ = span.set_parent(stored.as_deref().map(from_traceparent).unwrap_or_default());
            publish(channel, &envelope, self.producer).instrument(span).await?;
            ids.push(row.try_get::<i64, _>("id")?);
        }
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
        tx.commit().await?;
        self.metrics.published.inc_by(ids.len() as u64);
        self.metrics.pending.set(pending - ids.len() as i64);
        Ok(ids.len())
    }
}

/// The producer span of one publication (OpenTelemetry messaging conventions).
fn publish_span(envelope: &Envelope) -> tracing::Span {
    tracing::info_span!(
        "messaging.publish",
        otel.name = %format!("publish {}", envelope.event_type),
        otel.kind = "producer",
        messaging.system = "rabbitmq",
        messaging.operation.type = "publish",
        messaging.destination.name = EVENTS_EXCHANGE,
        messaging.rabbitmq.destination.routing_key = %envelope.event_type,
        messaging.message.id = %envelope.message_id,
    )
}

/// Publishes one event of `producer`'s persistently and waits for the
/// broker's confirm. The current span's context goes along in the message
/// headers (`traceparent`), the producer as the message's `app-id`.
pub async fn publish(channel: &Channel, envelope: &Envelope, producer: &str) -> anyhow::Result<()> {
    let mut headers = FieldTable::default();
    headers.insert("schema_version".into(), AMQPValue::LongUInt(envelope.schema_version));
    inject_amqp(&tracing::Span::current().context(), &mut headers);
    let properties = BasicProperties::default()
        .with_message_id(envelope.message_id.to_string().into())
        .with_content_type("application/json".into())
        .with_type(envelope.event_type.clone().into())
        .with_app_id(producer.into())
        .with_delivery_mode(2)
        .with_headers(headers);
    let body = serde_json::to_vec(envelope)?;
    let confirm = channel
        .basic_publish(
            EVENTS_EXCHANGE.into(),
            envelope.event_type.clone().into(),
            BasicPublishOptions::default(),
            &body,
            properties,
        )
        .await?
        .await?;
    anyhow::ensure!(!confirm.is_nack(), "the broker refused event {}", envelope.message_id);
    Ok(())
}
