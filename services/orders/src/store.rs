//! Queries of the orders service other than the event store: the read
//! model, saga progress and checkout idempotency keys.

use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::pagination::Pagination;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::saga::Step;
use platform::db::query_span;

/// An order as the API shows it (from the read model).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = Order)]
pub struct OrderView {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// PENDING, CONFIRMED, CANCELLED or SHIPPED.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub currency: String,
    pub total_minor: i64,
    pub item_count: i32,
    /// Product id, name (as it was at checkout), unit price, quantity.
    #[schema(value_type = Vec<crate::domain::Line>)]
    pub lines: Value,
    pub payment_id: Option<Uuid>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[query_span("SELECT", "order_views")]
pub async fn view(pool: &PgPool, order_id: Uuid) -> Result<Option<OrderView>, sqlx::Error> {
    sqlx::query_as!(
        OrderView,
        r#"SELECT order_id AS id, customer_id, status, cancel_reason, currency, total_minor, item_count,
                  lines, payment_id, placed_at, updated_at
           FROM order_views WHERE order_id = $1"#,
        order_id
    )
    .fetch_optional(pool)
    .await
}

#[query_span("SELECT", "order_views")]
pub async fn views_of(
    pool: &PgPool,
    customer_id: Uuid,
    page: Pagination,
) -> Result<(Vec<OrderView>, i64), sqlx::Error> {
    let items = sqlx::query_as!(
        OrderView,
        r#"SELECT order_id AS id, customer_id, status, cancel_reason, currency, total_minor, item_count,
                  lines, payment_id, placed_at, updated_at
           FROM order_views WHERE customer_id = $1 ORDER BY placed_at DESC, order_id LIMIT $2 OFFSET $3"#,
        customer_id,
        page.limit(),
        page.offset()
    )
    .fetch_all(pool)
    .await?;
    let total =
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "count!" FROM order_views WHERE customer_id = $1"#, customer_id)
            .fetch_one(pool)
            .await?;
    Ok((items, total))
}

/// The customer's orders after `after` (newest first), one more than
/// `limit` when another page follows. Keyset pagination on
/// `(placed_at, order_id)`, the order the list is sorted in.
#[query_span("SELECT", "order_views")]
pub async fn views_after(
    pool: &PgPool,
    customer_id: Uuid,
    after: Option<&(DateTime<Utc>, Uuid)>,
    fetch_limit: i64,
) -> Result<Vec<OrderView>, sqlx::Error> {
    let mut sql = sqlx::QueryBuilder::new(
        "SELECT order_id AS id, customer_id, status, cancel_reason, currency, total_minor, item_count, \
                lines, payment_id, placed_at, updated_at \
         FROM order_views WHERE customer_id = ",
    );
    sql.push_bind(customer_id);
    if let Some((placed_at, id)) = after {
        sql.push(" AND (placed_at, order_id) < (").push_bind(*placed_at).push(", ").push_bind(*id).push(")");
    }
    sql.push(" ORDER BY placed_at DESC, order_id DESC LIMIT ").push_bind(fetch_limit);
    sql.build_query_as::<OrderView>().fetch_all(pool).await
}

/// A saga as a runner needs it.
#[derive(Debug, Clone)]
pub struct SagaRow {
    pub step: Step,
    pub payment_method: String,
    pub charge_uncertain: bool,
    pub attempts: i32,
}

#[query_span("INSERT", "sagas")]
pub async fn insert_saga(
    conn: &mut PgConnection,
    order_id: Uuid,
    payment_method: &str,
    first_run_window: Duration,
) -> Result<(), sqlx::Error> {
    let recover_after = Utc::now() + first_run_window;
    sqlx::query!(
        "INSERT INTO sagas (order_id, step, payment_method, next_attempt_at) VALUES ($1, 'reserve', $2, $3)",
        order_id,
        payment_method,
        recover_after
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the saga's lease; `None` if it is done or another runner holds it.
#[query_span("UPDATE", "sagas")]
pub async fn acquire_saga(pool: &PgPool, order_id: Uuid, lease: Duration) -> Result<Option<SagaRow>, sqlx::Error> {
    let until = Utc::now() + lease;
    let row = sqlx::query!(
        r#"UPDATE sagas SET lease_until = $2
           WHERE order_id = $1 AND step <> 'done' AND (lease_until IS NULL OR lease_until < now())
           RETURNING step, payment_method, charge_uncertain, attempts"#,
        order_id,
        until
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| SagaRow {
        step: Step::parse(&r.step).unwrap_or(Step::Compensate),
        payment_method: r.payment_method,
        charge_uncertain: r.charge_uncertain,
        attempts: r.attempts,
    }))
}

/// Records that the saga moved on to `step` (inside the step's transaction).
#[query_span("UPDATE", "sagas")]
/// Moves the saga to `step`. With `from`, only if it is still at `from`
/// (compare-and-set): `false` means another runner moved it first, and the
/// caller's transaction must not commit.
pub async fn advance_saga(
    conn: &mut PgConnection,
    order_id: Uuid,
    from: Option<Step>,
    step: Step,
    charge_uncertain: bool,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query!(
        r#"UPDATE sagas SET step = $2, charge_uncertain = $3, attempts = 0, last_error = NULL, updated_at = now()
           WHERE order_id = $1 AND ($4::text IS NULL OR step = $4)"#,
        order_id,
        step.as_str(),
        charge_uncertain,
        from.map(Step::as_str)
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// The step failed for now: try again after `delay`, maybe from another runner.
#[query_span("UPDATE", "sagas")]
pub async fn retry_saga_later(pool: &PgPool, order_id: Uuid, error: &str, delay: Duration) -> Result<(), sqlx::Error> {
    let at = Utc::now() + delay;
    sqlx::query!(
        r#"UPDATE sagas SET attempts = attempts + 1, next_attempt_at = $2, lease_until = NULL, last_error = $3,
                          updated_at = now()
           WHERE order_id = $1"#,
        order_id,
        at,
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[query_span("UPDATE", "sagas")]
pub async fn release_saga(pool: &PgPool, order_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE sagas SET lease_until = NULL WHERE order_id = $1", order_id).execute(pool).await?;
    Ok(())
}

/// Sagas that should run now and that nobody runs.
pub async fn due_sagas(pool: &PgPool, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT order_id FROM sagas
           WHERE step <> 'done' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_attempt_at LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await
}

/// A previous checkout with this key: its request fingerprint and order.
#[query_span("SELECT", "order_requests")]
pub async fn find_request(pool: &PgPool, customer_id: Uuid, key: &str) -> Result<Option<(Vec<u8>, Uuid)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT request_hash, order_id FROM order_requests WHERE customer_id = $1 AND key = $2",
        customer_id,
        key
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.request_hash, r.order_id)))
}

#[query_span("INSERT", "order_requests")]
pub async fn insert_request(
    conn: &mut PgConnection,
    customer_id: Uuid,
    key: &str,
    hash: &[u8],
    order_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO order_requests (customer_id, key, request_hash, order_id) VALUES ($1, $2, $3, $4)",
        customer_id,
        key,
        hash,
        order_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
