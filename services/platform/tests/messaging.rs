//! The outbox relay and the idempotent consumer against a real RabbitMQ and
//! a real Postgres: nothing committed is lost, nothing is applied twice,
//! poison goes to the dead-letter queue while the rest flows.

use std::sync::Arc;
use std::time::Duration;

use platform::messaging::BrokerSettings;
use platform::messaging::broker::Broker;
use platform::messaging::consumer::{
    ConsumedLabels, ConsumerMetrics, HandlerError, IdempotentConsumer, MessageHandler, QueueSpec, declare_queue,
    queue_depth,
};
use platform::messaging::envelope::Envelope;
use platform::messaging::outbox::{OutboxMetrics, OutboxRelay, enqueue, publish};
use platform::shutdown::StopSignal;
use platform::test_util::{TcpRelay, authority_of, fresh_broker, fresh_database, via_relay};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::{PgConnection, PgPool, postgres::PgPoolOptions};
use uuid::Uuid;

const SCHEMA: &str = r#"
CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id UUID NOT NULL UNIQUE, event_type TEXT NOT NULL, payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(), published_at TIMESTAMPTZ, trace_context TEXT);
CREATE TABLE processed_messages (consumer TEXT NOT NULL, message_id UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer, message_id));
CREATE TABLE effects (message_id UUID NOT NULL, note TEXT NOT NULL);
"#;

async fn database() -> PgPool {
    let settings = fresh_database("messaging").await;
    let pool = PgPoolOptions::new().connect(settings.url.expose_secret()).await.unwrap();
    sqlx::raw_sql(SCHEMA).execute(&pool).await.unwrap();
    pool
}

/// Records one row per handled message; fails on demand.
struct RecordEffect;

impl MessageHandler for RecordEffect {
    async fn handle(&self, conn: &mut PgConnection, envelope: &Envelope) -> Result<(), HandlerError> {
        if envelope.data["poison"] == true {
            return Err(HandlerError::Permanent(anyhow::anyhow!("cannot handle this")));
        }
        sqlx::query("INSERT INTO effects (message_id, note) VALUES ($1, $2)")
            .bind(envelope.message_id)
            .bind(envelope.data["note"].as_str().unwrap_or_default())
            .execute(conn)
            .await?;
        Ok(())
    }
}

async fn effects(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT note FROM effects ORDER BY note").fetch_all(pool).await.unwrap()
}

async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    platform::test_util::eventually(what, Duration::from_secs(20), check).await
}

fn spec() -> QueueSpec {
    QueueSpec::new("test-consumer", &["thing.happened"])
}

async fn start_consumer(broker: BrokerSettings, pool: PgPool) -> Arc<Broker> {
    let broker = Arc::new(Broker::new(broker));
    let channel = broker.channel().await.unwrap();
    declare_queue(&channel, &spec()).await.unwrap();
    IdempotentConsumer::new(broker.clone(), pool, spec(), RecordEffect, ConsumerMetrics::default()).spawn();
    broker
}

async fn write_event(pool: &PgPool, note: &str) {
    let mut tx = pool.begin().await.unwrap();
    enqueue(&mut tx, &Envelope::new("thing.happened", Uuid::new_v4(), json!({ "note": note }))).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn committed_events_reach_the_consumer_exactly_once() {
    let (pool, broker) = (database().await, fresh_broker().await);
    start_consumer(broker.clone(), pool.clone()).await;
    OutboxRelay::new("test", pool.clone(), Arc::new(Broker::new(broker)), OutboxMetrics::default()).spawn();

    write_event(&pool, "a").await;
    write_event(&pool, "b").await;
    eventually("both events handled", || async { effects(&pool).await == ["a", "b"] }).await;
    // The relay marks a row published once the broker confirms it, and the
    // consumer may well be faster than that confirmation: wait for it.
    eventually("both rows marked published", || async { unpublished(&pool).await == 0 }).await;
    assert_eq!(effects(&pool).await, ["a", "b"], "handled once each");
}

/// A producer that publishes before its consumer ever connected (a fresh
/// broker; a consumer that lost the race with the broker's start): the
/// relay declares the consumer's queue first, so the events wait there
/// instead of being dropped by an exchange with nothing bound to it.
#[tokio::test]
async fn an_event_larger_than_a_frame_arrives_whole() {
    // The client's frames are 16 KiB (broker.rs): this event takes seven.
    let (pool, broker) = (database().await, fresh_broker().await);
    start_consumer(broker.clone(), pool.clone()).await;
    OutboxRelay::new("test", pool.clone(), Arc::new(Broker::new(broker)), OutboxMetrics::default()).spawn();
    let note: String = (0..100_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    write_event(&pool, &note).await;
    eventually("the large event handled", || async { !effects(&pool).await.is_empty() }).await;
    assert_eq!(effects(&pool).await, [note]);
}

#[tokio::test]
async fn events_published_before_the_consumer_ever_connected_wait_in_its_queue() {
    let (pool, broker) = (database().await, fresh_broker().await);
    let producer = Arc::new(Broker::new(broker.clone()).declaring(vec![spec()]));
    OutboxRelay::new("test", pool.clone(), producer, OutboxMetrics::default()).spawn();
    write_event(&pool, "early-1").await;
    write_event(&pool, "early-2").await;
    eventually("both rows published, no consumer anywhere yet", || async { unpublished(&pool).await == 0 }).await;

    start_consumer(broker, pool.clone()).await;
    eventually("both early events handled", || async { effects(&pool).await == ["early-1", "early-2"] }).await;
}

/// Several replicas of a service share its database and its queue (a
/// scaled Kubernetes Deployment): two outbox relays publish each event once
/// between them (`FOR UPDATE SKIP LOCKED`), and two consumers on the queue
/// handle each once, none of them ever seeing a duplicate.
#[tokio::test]
async fn two_relays_and_two_consumers_on_one_database_publish_and_handle_each_event_once() {
    let (pool, broker) = (database().await, fresh_broker().await);
    let metrics = ConsumerMetrics::default();
    for _ in 0..2 {
        let consumer_broker = Arc::new(Broker::new(broker.clone()));
        declare_queue(&consumer_broker.channel().await.unwrap(), &spec()).await.unwrap();
        IdempotentConsumer::new(consumer_broker, pool.clone(), spec(), RecordEffect, metrics.clone()).spawn();
        OutboxRelay::new("test", pool.clone(), Arc::new(Broker::new(broker.clone())), OutboxMetrics::default()).spawn();
    }
    let notes: Vec<String> = (0..40).map(|i| format!("event-{i:02}")).collect();
    for note in &notes {
        write_event(&pool, note).await;
    }
    eventually("every event handled", || async { effects(&pool).await.len() >= notes.len() }).await;
    eventually("every row marked published", || async { unpublished(&pool).await == 0 }).await;
    assert_eq!(effects(&pool).await, notes, "each event handled once");
    let consumed = |outcome| {
        metrics.consumed.get_or_create(&ConsumedLabels { queue: spec().queue, producer: "test".into(), outcome }).get()
    };
    assert_eq!((consumed("processed"), consumed("duplicate")), (40, 0), "each event delivered once");
}

async fn unpublished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_rolled_back_transaction_sends_nothing() {
    let (pool, broker) = (database().await, fresh_broker().await);
    start_consumer(broker.clone(), pool.clone()).await;
    OutboxRelay::new("test", pool.clone(), Arc::new(Broker::new(broker)), OutboxMetrics::default()).spawn();

    let mut tx = pool.begin().await.unwrap();
    enqueue(&mut tx, &Envelope::new("thing.happened", Uuid::new_v4(), json!({"note": "never"}))).await.unwrap();
    tx.rollback().await.unwrap();
    write_event(&pool, "after").await;
    eventually("the later event handled", || async { !effects(&pool).await.is_empty() }).await;
    assert_eq!(effects(&pool).await, ["after"]);
}

#[tokio::test]
async fn events_wait_in_the_outbox_while_the_broker_is_down() {
    let (pool, broker) = (database().await, fresh_broker().await);
    start_consumer(broker.clone(), pool.clone()).await;
    let relay = TcpRelay::start(authority_of(broker.url.expose_secret())).await;
    let relayed = BrokerSettings { url: SecretString::from(via_relay(broker.url.expose_secret(), &relay)) };
    let metrics = OutboxMetrics::default();
    OutboxRelay::new("test", pool.clone(), Arc::new(Broker::new(relayed)), metrics.clone()).spawn();
    write_event(&pool, "before").await;
    eventually("first event handled", || async { effects(&pool).await == ["before"] }).await;

    relay.cut();
    for note in ["during-1", "during-2", "during-3"] {
        write_event(&pool, note).await;
    }
    eventually("the relay noticed the broker is gone", || async { metrics.publish_failures.get() > 0 }).await;
    assert_eq!(unpublished(&pool).await, 3, "events wait in the outbox");
    assert_eq!(effects(&pool).await, ["before"]);

    relay.restore();
    eventually("everything delivered after recovery", || async { effects(&pool).await.len() == 4 }).await;
    assert_eq!(effects(&pool).await, ["before", "during-1", "during-2", "during-3"]);
}

#[tokio::test]
async fn a_redelivered_message_has_no_second_effect() {
    let (pool, broker) = (database().await, fresh_broker().await);
    let connection = start_consumer(broker, pool.clone()).await;
    let channel = connection.channel().await.unwrap();
    let envelope = Envelope::new("thing.happened", Uuid::new_v4(), json!({"note": "once"}));
    publish(&channel, &envelope, "test").await.unwrap();
    publish(&channel, &envelope, "test").await.unwrap();
    publish(&channel, &Envelope::new("thing.happened", Uuid::new_v4(), json!({"note": "marker"})), "test")
        .await
        .unwrap();
    eventually("the marker handled", || async { effects(&pool).await.contains(&"marker".to_owned()) }).await;
    assert_eq!(effects(&pool).await, ["marker", "once"]);
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_and_the_consumer_goes_on() {
    let (pool, broker) = (database().await, fresh_broker().await);
    let connection = start_consumer(broker, pool.clone()).await;
    let channel = connection.channel().await.unwrap();
    // Not JSON at all ...
    channel
        .basic_publish(
            platform::messaging::EVENTS_EXCHANGE.into(),
            "thing.happened".into(),
            Default::default(),
            b"{not json",
            Default::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    // ... refused by the handler ...
    publish(&channel, &Envelope::new("thing.happened", Uuid::new_v4(), json!({"poison": true})), "test").await.unwrap();
    // ... from a future schema ...
    let mut future = Envelope::new("thing.happened", Uuid::new_v4(), json!({"note": "v2"}));
    future.schema_version = 2;
    publish(&channel, &future, "test").await.unwrap();
    // ... and a good one after them.
    publish(&channel, &Envelope::new("thing.happened", Uuid::new_v4(), json!({"note": "fine"})), "test").await.unwrap();

    eventually("the good message handled", || async { effects(&pool).await == ["fine"] }).await;
    let dead_letters = spec().dead_letter_queue();
    eventually("three messages dead-lettered", || async { queue_depth(&channel, &dead_letters).await.unwrap() == 3 })
        .await;
}

/// Records like `RecordEffect`, but holds a message noted "hold" until released.
struct HoldingEffect {
    entered: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Notify>,
}

impl MessageHandler for HoldingEffect {
    async fn handle(&self, conn: &mut PgConnection, envelope: &Envelope) -> Result<(), HandlerError> {
        if envelope.data["note"] == "hold" {
            self.entered.notify_one();
            self.release.notified().await;
        }
        RecordEffect.handle(conn, envelope).await
    }
}

#[tokio::test]
async fn a_stopping_consumer_finishes_the_message_in_hand_and_leaves_the_rest_for_redelivery() {
    let (pool, settings) = (database().await, fresh_broker().await);
    let broker = Arc::new(Broker::new(settings.clone()));
    let channel = broker.channel().await.unwrap();
    declare_queue(&channel, &spec()).await.unwrap();
    let (entered, release) = (Arc::new(tokio::sync::Notify::new()), Arc::new(tokio::sync::Notify::new()));
    let handler = HoldingEffect { entered: entered.clone(), release: release.clone() };
    let stop = StopSignal::new();
    let consumer = IdempotentConsumer::new(broker.clone(), pool.clone(), spec(), handler, ConsumerMetrics::default())
        .stop_when(stop.stopping())
        .spawn();
    for note in ["hold", "later-1", "later-2"] {
        publish(&channel, &Envelope::new("thing.happened", Uuid::new_v4(), json!({ "note": note })), "test")
            .await
            .unwrap();
    }
    entered.notified().await;

    stop.stop();
    release.notify_one();
    tokio::time::timeout(Duration::from_secs(20), consumer).await.expect("the consumer stopped").unwrap();
    assert_eq!(effects(&pool).await, ["hold"], "the message in hand was finished, nothing after it taken");
    eventually("the two others are back in the queue, ready", || async {
        queue_depth(&channel, &spec().queue).await.unwrap() == 2
    })
    .await;

    // The next instance gets them.
    IdempotentConsumer::new(broker, pool.clone(), spec(), RecordEffect, ConsumerMetrics::default()).spawn();
    eventually("redelivered and handled", || async { effects(&pool).await.len() == 3 }).await;
    assert_eq!(effects(&pool).await, ["hold", "later-1", "later-2"]);
}

#[tokio::test]
async fn a_stopping_outbox_relay_stops_between_batches_and_leaves_the_rest_in_the_outbox() {
    let (pool, broker) = (database().await, fresh_broker().await);
    start_consumer(broker.clone(), pool.clone()).await;
    let stop = StopSignal::new();
    let relay = OutboxRelay::new("test", pool.clone(), Arc::new(Broker::new(broker)), OutboxMetrics::default())
        .stop_when(stop.stopping())
        .spawn();
    write_event(&pool, "before").await;
    eventually("published and handled", || async { effects(&pool).await == ["before"] }).await;
    eventually("marked published", || async { unpublished(&pool).await == 0 }).await;

    stop.stop();
    tokio::time::timeout(Duration::from_secs(20), relay).await.expect("the relay stopped").unwrap();
    write_event(&pool, "after").await;
    // The relay task has ended: nothing can publish this row any more.
    assert_eq!(unpublished(&pool).await, 1, "it waits in the outbox for the next start");
}
