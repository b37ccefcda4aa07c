//! The body of every event message: who, what, when, which schema.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The schema version this code writes and understands. A consumer refuses
/// (dead-letters) messages of a newer major version instead of misreading them.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique per event; consumers deduplicate on it.
    pub message_id: Uuid,
    /// Also the routing key, e.g. `order.confirmed`.
    pub event_type: String,
    pub schema_version: u32,
    pub occurred_at: DateTime<Utc>,
    /// The entity the event is about (an order id).
    pub aggregate_id: Uuid,
    pub data: Value,
}

impl Envelope {
    pub fn new(event_type: &str, aggregate_id: Uuid, data: Value) -> Self {
        Self {
            message_id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            schema_version: SCHEMA_VERSION,
            occurred_at: Utc::now(),
            aggregate_id,
            data,
        }
    }
}

/// Why a consumer refuses a message's bytes (it dead-letters them).
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    #[error("unreadable: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error("schema version {0} is newer than {SCHEMA_VERSION}")]
    NewerSchema(u32),
}

/// A message body as every consumer reads it: an envelope of a schema
/// version this code understands. Contract tests feed pact messages through
/// this, so they read messages the way the consumers do.
pub fn decode(body: &[u8]) -> Result<Envelope, Undecodable> {
    let envelope: Envelope = serde_json::from_slice(body)?;
    if envelope.schema_version > SCHEMA_VERSION {
        return Err(Undecodable::NewerSchema(envelope.schema_version));
    }
    Ok(envelope)
}
