//! One AMQP connection per process, opened on first use and reopened after
//! the broker went away; declares the shared exchanges, and the queues the
//! process publishes for, on every (re)connect.

use std::time::Duration;

use lapin::options::ExchangeDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use super::consumer::{QueueSpec, declare_queue};
use super::{BrokerSettings, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE};

/// Bounds connecting, so an unreachable broker is an error, not a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

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
        let url = self.settings.url.expose_secret();
        let fresh = tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(url, ConnectionProperties::default()))
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

async fn declare_exchanges(channel: &Channel) -> Result<(), lapin::Error> {
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel.exchange_declare(EVENTS_EXCHANGE.into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    channel.exchange_declare(DEAD_LETTER_EXCHANGE.into(), ExchangeKind::Direct, durable, FieldTable::default()).await
}
