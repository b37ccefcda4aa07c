//! The read model: `order_views`, one row per order, written from the
//! aggregate after each append (same transaction), and rebuildable from the
//! event store at any time.

use sqlx::{PgConnection, PgPool};

use crate::domain::Order;
use crate::event_store;
use platform::db::query_span;

/// Writes the view of `order` (insert or replace).
#[query_span("INSERT", "order_views")]
pub async fn project(conn: &mut PgConnection, order: &Order) -> Result<(), sqlx::Error> {
    let lines = serde_json::to_value(&order.lines).expect("lines serialise");
    sqlx::query!(
        r#"
        INSERT INTO order_views (order_id, customer_id, status, cancel_reason, currency, total_minor,
                                 item_count, lines, payment_id, version, placed_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (order_id) DO UPDATE SET
            status = EXCLUDED.status, cancel_reason = EXCLUDED.cancel_reason,
            payment_id = EXCLUDED.payment_id, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
        "#,
        order.id,
        order.customer_id,
        order.status.as_str(),
        order.cancel_reason,
        order.total.currency.as_str(),
        order.total.amount_minor,
        order.item_count(),
        lines,
        order.payment_id,
        order.version,
        order.placed_at,
        order.updated_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Throws the read model away and replays every stream into it.
pub async fn rebuild(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM order_views").execute(&mut *tx).await?;
    let ids = event_store::all_order_ids(pool).await?;
    for id in &ids {
        if let Some(order) = event_store::load(&mut tx, *id).await? {
            project(&mut tx, &order).await?;
        }
    }
    tx.commit().await?;
    Ok(ids.len())
}
