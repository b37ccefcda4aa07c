//! Every query of the notifications service, in one place.

use chrono::{DateTime, Utc};
use platform::db::query_span;
use platform::pagination::Pagination;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub order_id: Uuid,
    pub kind: String,
    pub subject: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewNotification<'a> {
    pub user_id: Uuid,
    pub order_id: Uuid,
    pub event_id: Uuid,
    pub kind: &'a str,
    pub recipient: Option<&'a str>,
    pub subject: &'a str,
    pub status: &'a str,
    pub provider_message_id: Option<&'a str>,
}

#[query_span("INSERT", "notifications")]
pub async fn insert(conn: &mut PgConnection, new: NewNotification<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO notifications (id, user_id, order_id, event_id, kind, recipient, subject, status, provider_message_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING"#,
        Uuid::now_v7(),
        new.user_id,
        new.order_id,
        new.event_id,
        new.kind,
        new.recipient,
        new.subject,
        new.status,
        new.provider_message_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[query_span("SELECT", "notifications")]
pub async fn for_user(pool: &PgPool, user_id: Uuid, page: Pagination) -> Result<(Vec<Notification>, i64), sqlx::Error> {
    let items = sqlx::query_as!(
        Notification,
        r#"SELECT id, order_id, kind, subject, status, created_at FROM notifications
           WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"#,
        user_id,
        page.limit(),
        page.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "count!" FROM notifications WHERE user_id = $1"#, user_id)
        .fetch_one(pool)
        .await?;
    Ok((items, total))
}
