//! Every query of the inventory service. Functions that change stock take a
//! connection, so the HTTP handlers and the event consumer run the same code
//! inside their own transactions.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::ReservationLines;
use platform::db::query_span;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Stock {
    pub product_id: i64,
    pub available: i32,
    pub reserved: i32,
    pub sold: i32,
    pub stocked: i32,
}

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationStatus {
    Reserved,
    Committed,
    Released,
    Returned,
}

impl ReservationStatus {
    fn parse(raw: &str) -> Self {
        match raw {
            "reserved" => Self::Reserved,
            "committed" => Self::Committed,
            "returned" => Self::Returned,
            _ => Self::Released,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Committed => "committed",
            Self::Released => "released",
            Self::Returned => "returned",
        }
    }
}

#[query_span("SELECT", "stock")]
pub async fn stock_of(pool: &PgPool, product_id: i64) -> Result<Option<Stock>, sqlx::Error> {
    sqlx::query_as!(
        Stock,
        "SELECT product_id, available, reserved, sold, stocked FROM stock WHERE product_id = $1",
        product_id
    )
    .fetch_optional(pool)
    .await
}

/// Adds `quantity` units to the product's stock, creating its row if needed.
#[query_span("INSERT", "stock")]
pub async fn restock(pool: &PgPool, product_id: i64, quantity: i32) -> Result<Stock, sqlx::Error> {
    sqlx::query_as!(
        Stock,
        r#"
        INSERT INTO stock (product_id, available, stocked) VALUES ($1, $2, $2)
        ON CONFLICT (product_id) DO UPDATE
            SET available = stock.available + $2, stocked = stock.stocked + $2, updated_at = now()
        RETURNING product_id, available, reserved, sold, stocked
        "#,
        product_id,
        quantity
    )
    .fetch_one(pool)
    .await
}

/// The outcome of a reservation request.
#[derive(Debug, PartialEq, Eq)]
pub enum Reserve {
    /// Reserved now.
    Reserved,
    /// This order already has a reservation (a repeat): nothing changed.
    Existing(ReservationStatus),
    /// Not enough available units of this product: nothing was reserved.
    Insufficient { product_id: i64 },
}

/// Reserves every line or none. Each line is one conditional update
/// (`available >= quantity`), under the row lock, so concurrent orders can
/// never take more than is there.
#[query_span("UPDATE", "stock")]
pub async fn reserve(
    conn: &mut PgConnection,
    order_id: Uuid,
    lines: &ReservationLines,
    ttl: Duration,
) -> Result<Reserve, sqlx::Error> {
    let expires_at = Utc::now() + ttl;
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO reservations (order_id, status, expires_at) VALUES ($1, 'reserved', $2)
           ON CONFLICT (order_id) DO NOTHING RETURNING order_id"#,
        order_id,
        expires_at
    )
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_none() {
        let status = status_of(conn, order_id).await?.unwrap_or(ReservationStatus::Released);
        return Ok(Reserve::Existing(status));
    }
    for line in lines.iter() {
        let taken = sqlx::query!(
            r#"UPDATE stock SET available = available - $2, reserved = reserved + $2, updated_at = now()
               WHERE product_id = $1 AND available >= $2"#,
            line.product_id,
            line.quantity.get()
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if taken == 0 {
            return Ok(Reserve::Insufficient { product_id: line.product_id });
        }
        sqlx::query!(
            "INSERT INTO reservation_lines (order_id, product_id, quantity) VALUES ($1, $2, $3)",
            order_id,
            line.product_id,
            line.quantity.get()
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(Reserve::Reserved)
}

/// The reservation's status, locked for the rest of the transaction.
async fn status_of(conn: &mut PgConnection, order_id: Uuid) -> Result<Option<ReservationStatus>, sqlx::Error> {
    let status = sqlx::query_scalar!("SELECT status FROM reservations WHERE order_id = $1 FOR UPDATE", order_id)
        .fetch_optional(conn)
        .await?;
    Ok(status.as_deref().map(ReservationStatus::parse))
}

#[query_span("SELECT", "reservations")]
pub async fn reservation_status(pool: &PgPool, order_id: Uuid) -> Result<Option<ReservationStatus>, sqlx::Error> {
    let status = sqlx::query_scalar!("SELECT status FROM reservations WHERE order_id = $1", order_id)
        .fetch_optional(pool)
        .await?;
    Ok(status.as_deref().map(ReservationStatus::parse))
}

/// The outcome of a commit request.
#[derive(Debug, PartialEq, Eq)]
pub enum Commit {
    /// The reserved units are sold now, or were already.
    Committed,
    /// The reservation was released or returned: there is nothing to commit.
    Closed(ReservationStatus),
    Missing,
}

/// Turns the reserved units into sold ones. Idempotent.
#[query_span("UPDATE", "stock")]
pub async fn commit(conn: &mut PgConnection, order_id: Uuid) -> Result<Commit, sqlx::Error> {
    match status_of(conn, order_id).await? {
        None => Ok(Commit::Missing),
        Some(ReservationStatus::Committed) => Ok(Commit::Committed),
        Some(closed @ (ReservationStatus::Released | ReservationStatus::Returned)) => Ok(Commit::Closed(closed)),
        Some(ReservationStatus::Reserved) => {
            sqlx::query!(
                r#"UPDATE stock s SET reserved = s.reserved - l.quantity, sold = s.sold + l.quantity, updated_at = now()
                   FROM reservation_lines l WHERE l.order_id = $1 AND s.product_id = l.product_id"#,
                order_id
            )
            .execute(&mut *conn)
            .await?;
            set_status(conn, order_id, ReservationStatus::Committed).await?;
            Ok(Commit::Committed)
        }
    }
}

/// Gives the order's units back, whatever state it reached: reserved units
/// are released, sold ones returned, and an order never seen gets a
/// tombstone so that a late reservation for it fails. Idempotent.
#[query_span("UPDATE", "stock")]
pub async fn cancel(conn: &mut PgConnection, order_id: Uuid) -> Result<ReservationStatus, sqlx::Error> {
    match status_of(conn, order_id).await? {
        None => {
            sqlx::query!(
                r#"INSERT INTO reservations (order_id, status, expires_at) VALUES ($1, 'released', now())
                   ON CONFLICT (order_id) DO NOTHING"#,
                order_id
            )
            .execute(&mut *conn)
            .await?;
            Ok(ReservationStatus::Released)
        }
        Some(ReservationStatus::Reserved) => {
            sqlx::query!(
                r#"UPDATE stock s SET reserved = s.reserved - l.quantity, available = s.available + l.quantity,
                          updated_at = now()
                   FROM reservation_lines l WHERE l.order_id = $1 AND s.product_id = l.product_id"#,
                order_id
            )
            .execute(&mut *conn)
            .await?;
            set_status(conn, order_id, ReservationStatus::Released).await?;
            Ok(ReservationStatus::Released)
        }
        Some(ReservationStatus::Committed) => {
            sqlx::query!(
                r#"UPDATE stock s SET sold = s.sold - l.quantity, available = s.available + l.quantity,
                          updated_at = now()
                   FROM reservation_lines l WHERE l.order_id = $1 AND s.product_id = l.product_id"#,
                order_id
            )
            .execute(&mut *conn)
            .await?;
            set_status(conn, order_id, ReservationStatus::Returned).await?;
            Ok(ReservationStatus::Returned)
        }
        Some(done) => Ok(done),
    }
}

async fn set_status(conn: &mut PgConnection, order_id: Uuid, status: ReservationStatus) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = $1",
        order_id,
        status.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases up to `limit` reservations whose time is up; returns their ids.
pub async fn release_expired(pool: &PgPool, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let expired = sqlx::query_scalar!(
        r#"SELECT order_id FROM reservations WHERE status = 'reserved' AND expires_at < now()
           ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED"#,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    for order_id in &expired {
        cancel(&mut tx, *order_id).await?;
    }
    tx.commit().await?;
    Ok(expired)
}
