//! Every query of the payments service, in one place.

use chrono::{DateTime, Utc};
use platform::db::query_span;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Payment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    /// captured, declined or refunded
    pub status: String,
    pub decline_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewPayment<'a> {
    pub order_id: Uuid,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub provider_charge_id: &'a str,
    pub decline_code: Option<&'a str>,
}

#[query_span("INSERT", "payments")]
pub async fn insert(conn: &mut PgConnection, new: NewPayment<'_>) -> Result<Payment, sqlx::Error> {
    sqlx::query_as!(
        Payment,
        r#"INSERT INTO payments (id, order_id, amount_minor, currency, status, provider_charge_id, decline_code)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, order_id, amount_minor, currency, status, decline_code, created_at, updated_at"#,
        Uuid::now_v7(),
        new.order_id,
        new.amount_minor,
        new.currency,
        new.status,
        new.provider_charge_id,
        new.decline_code
    )
    .fetch_one(conn)
    .await
}

#[query_span("SELECT", "payments")]
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query_as!(
        Payment,
        "SELECT id, order_id, amount_minor, currency, status, decline_code, created_at, updated_at FROM payments WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

#[query_span("SELECT", "payments")]
pub async fn for_order(pool: &PgPool, order_id: Uuid) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, amount_minor, currency, status, decline_code, created_at, updated_at
           FROM payments WHERE order_id = $1 ORDER BY created_at"#,
        order_id
    )
    .fetch_all(pool)
    .await
}

/// The provider's charge id of a captured payment, locked for the refund.
#[query_span("SELECT", "payments")]
pub async fn lock_captured(conn: &mut PgConnection, id: Uuid) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT provider_charge_id, amount_minor FROM payments WHERE id = $1 AND status = 'captured' FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.provider_charge_id, r.amount_minor)))
}

#[query_span("UPDATE", "payments")]
pub async fn mark_refunded(
    conn: &mut PgConnection,
    id: Uuid,
    provider_refund_id: &str,
) -> Result<Payment, sqlx::Error> {
    sqlx::query_as!(
        Payment,
        r#"UPDATE payments SET status = 'refunded', provider_refund_id = $2, updated_at = now() WHERE id = $1
           RETURNING id, order_id, amount_minor, currency, status, decline_code, created_at, updated_at"#,
        id,
        provider_refund_id
    )
    .fetch_one(conn)
    .await
}
