//! Appending to and reading from an order's event stream, with optimistic
//! concurrency: an append states the version it was decided on, and fails
//! if anyone appended since.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::SCHEMA_VERSION;
use crate::domain::{Order, OrderEvent};
use platform::db::query_span;

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("order {0} changed since it was read")]
    Conflict(Uuid),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Appends `events` after `expected_version`; returns their timestamps.
#[query_span("INSERT", "order_events")]
pub async fn append(
    conn: &mut PgConnection,
    order_id: Uuid,
    expected_version: i32,
    events: &[OrderEvent],
) -> Result<DateTime<Utc>, AppendError> {
    let now = Utc::now();
    for (offset, event) in events.iter().enumerate() {
        let version = expected_version + 1 + offset as i32;
        let data = serde_json::to_value(event).expect("events serialise");
        let result = sqlx::query!(
            r#"INSERT INTO order_events (order_id, version, event_type, schema_version, data, recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6)"#,
            order_id,
            version,
            event.name(),
            SCHEMA_VERSION,
            data,
            now
        )
        .execute(&mut *conn)
        .await;
        match result {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AppendError::Conflict(order_id));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(now)
}

/// The order's events, oldest first, with when they were recorded.
#[query_span("SELECT", "order_events")]
pub async fn load_events(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<(OrderEvent, DateTime<Utc>)>, sqlx::Error> {
    let rows =
        sqlx::query!("SELECT data, recorded_at FROM order_events WHERE order_id = $1 ORDER BY version", order_id)
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|row| {
            serde_json::from_value(row.data)
                .map(|event| (event, row.recorded_at))
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))
        })
        .collect()
}

/// The order as its events make it; `None` when there is no such stream.
pub async fn load(conn: &mut PgConnection, order_id: Uuid) -> Result<Option<Order>, sqlx::Error> {
    let events = load_events(conn, order_id).await?;
    Ok(Order::replay(order_id, events.iter().map(|(e, at)| (e, *at))))
}

/// Every order id in the store (for rebuilding projections).
pub async fn all_order_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT DISTINCT order_id FROM order_events").fetch_all(pool).await
}
