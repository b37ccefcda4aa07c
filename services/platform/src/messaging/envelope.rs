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
