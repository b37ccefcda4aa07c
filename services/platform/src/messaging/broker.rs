//! One AMQP connection per process, opened on first use and reopened after
//! the broker went away; declares the shared exchanges, and the queues the
//! process publishes for, on every (re)connect.

use std::time::Duration;

use lapin::options::ExchangeDeclareOptions;
use lapin::types::FieldTable;
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use super::consumer::{QueueSpec, declare_queue};
use super::{BrokerSettings, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE};

/// Bounds connecting, so an unreachable broker is an error, not a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest frame this client takes, unless the URL says otherwise
/// (`?frame_max=`). lapin keeps two ring buffers of 32 frames for each
/// connection: at RabbitMQ's default of 128 KiB that was 8 MiB a process,
/// resident once the rings had gone round. The shop's events are about a
/// kilobyte; a larger message is sent in several frames.
const FRAME_MAX: u32 = 16 * 1024;

pub struct Broker {
    settings: BrokerSettings,
    /// Declared on every (re)connect, before anything is published.
    queues: Vec<QueueSpec>,
    connection: Mutex<Option<Connection>>,
}

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("broker: {0}")]
    Amqp(#[from] lapin::Error),
    #[error("broker: no connection within {0:?}")]
    Timeout(Duration),
    // Without the parser's message: it quotes the URL, password and all.
    #[error("broker: the AMQP URL cannot be read")]
    Url,
}

impl Broker {
    pub fn new(settings: BrokerSettings) -> Self {
        Self { settings, queues: Vec::new(), connection: Mutex::new(None) }
    }

    /// Also declares these queues (and their bindings) on every (re)connect:
    /// a producer's consumers' queues, so that what it publishes is kept
    /// even before those consumers first connect (`topology`).
    pub fn declaring(mut self, queues: Vec<QueueSpec>) -> Self {
        self.queues = queues;
        self
    }

    /// A fresh channel on a live connection.
    pub async fn channel(&self) -> Result<Channel, BrokerError> {
        let mut connection = self.connection.lock().await;
        if let Some(live) = connection.as_ref().filter(|c| c.status().connected()) {
            return Ok(live.create_channel().await?);
        }
        let uri = connection_uri(self.settings.url.expose_secret())?;
        let fresh =
            tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect_uri(uri, ConnectionProperties::default()))
                .await
                .map_err(|_| BrokerError::Timeout(CONNECT_TIMEOUT))??;
        let setup = fresh.create_channel().await?;
        declare_exchanges(&setup).await?;
        for queue in &self.queues {
            declare_queue(&setup, queue).await?;
        }
        let _ = setup.close(200, "topology declared".into()).await;
        let channel = fresh.create_channel().await?;
        tracing::info!("connected to the broker");
        *connection = Some(fresh);
        Ok(channel)
    }

    /// True when a connection is (or can be) established.
    pub async fn is_reachable(&self) -> Result<(), String> {
        let channel = self.channel().await.map_err(|e| e.to_string())?;
        let _ = channel.close(200, "readiness".into()).await;
        Ok(())
    }

    /// `/ready` check `broker`: a connection is (or can be) established.
    pub fn readiness_check(self: &std::sync::Arc<Self>) -> crate::health::ReadinessCheck {
        let broker = self.clone();
        crate::health::ReadinessCheck::new("broker", move || {
            let broker = broker.clone();
            async move { broker.is_reachable().await }
        })
    }
}

/// `url` with this client's frame size, unless it names one.
fn connection_uri(url: &str) -> Result<AMQPUri, BrokerError> {
    let mut uri: AMQPUri = url.parse().map_err(|_| BrokerError::Url)?;
    uri.query.frame_max.get_or_insert(FRAME_MAX);
    Ok(uri)
}

async fn declare_exchanges(channel: &Channel) -> Result<(), lapin::Error> {
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel.exchange_declare(EVENTS_EXCHANGE.into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    channel.exchange_declare(DEAD_LETTER_EXCHANGE.into(), ExchangeKind::Direct, durable, FieldTable::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_small_unless_the_url_asks_for_larger_ones() {
        let uri = connection_uri("amqp://shop:not-a-secret@broker:5672/%2f").unwrap();
        assert_eq!(uri.query.frame_max, Some(FRAME_MAX));
        assert_eq!(uri.authority.host, "broker");
        let uri = connection_uri("amqp://broker/%2f?frame_max=131072&heartbeat=10").unwrap();
        assert_eq!((uri.query.frame_max, uri.query.heartbeat), (Some(131_072), Some(10)));
    }

    #[test]
    fn an_unreadable_url_is_an_error_that_does_not_quote_it() {
        let error = connection_uri("amqp://shop:not-a-secret@broker:notaport/").unwrap_err();
        assert!(!error.to_string().contains("not-a-secret"), "{error}");
        assert!(matches!(connection_uri("http://broker/"), Err(BrokerError::Url)));
    }
}
