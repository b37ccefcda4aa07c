//! Events between services over RabbitMQ, with the guarantees the shop needs:
//! - a producer writes an event in the same transaction as its state change
//!   (`outbox::enqueue`) and the `OutboxRelay` publishes it with publisher
//!   confirms, so nothing committed is lost and nothing uncommitted is sent;
//! - a consumer (`IdempotentConsumer`) records each message id in the same
//!   transaction as its effect and acks only after commit, so redeliveries
//!   change nothing; poison messages go to a dead-letter queue after bounded
//!   retries while the consumer carries on.
//!
//! Topology: one durable topic exchange `shop.events`, routing key = event
//! type (`order.confirmed`); each consumer owns a durable quorum queue bound
//! to the keys it reads, dead-lettering into `<queue>.dead-letter`; the
//! producer declares its consumers' queues too (`topology`), so no event is
//! published before a queue is there to keep it.

pub mod broker;
pub mod consumer;
pub mod envelope;
pub mod outbox;
pub mod topology;

use secrecy::SecretString;

use crate::config::Env;

pub const EVENTS_EXCHANGE: &str = "shop.events";
pub const DEAD_LETTER_EXCHANGE: &str = "shop.dead-letter";

/// Where the broker is: `AMQP_URL` (`amqp://user:pass@host:5672/vhost`).
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    pub url: SecretString,
}

impl BrokerSettings {
    pub fn from_env(env: &mut Env) -> Self {
        let url = env.string("AMQP_URL", "amqp://shop:shop-dev-password@127.0.0.1:5672/%2f");
        if !url.starts_with("amqp://") && !url.starts_with("amqps://") {
            env.problem("AMQP_URL: must start with amqp:// or amqps://");
        }
        Self { url: SecretString::from(url) }
    }
}
