//! Idempotency keys: the first answer for a key is stored and replayed for
//! every repeat with the same request; a different request under the same key
//! is refused (422); a repeat that arrives while the first is still running
//! gets 409. The stored answer is written in the same transaction as the
//! payment, so there is never a payment without its answer or the reverse.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use platform::db::query_span;
use platform::{ApiError, IdempotencyKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

/// How long a running request holds its key before another may take over.
const LEASE: Duration = Duration::from_secs(30);

/// The client's key (the platform's one parser), scoped to the operation so
/// a charge key cannot replay a refund.
pub fn key_of(headers: &HeaderMap, operation: &str) -> Result<String, ApiError> {
    Ok(format!("{operation}:{}", IdempotencyKey::required(headers)?))
}

/// The key payments sends the provider for one of its own keys: derived,
/// so a retry after a lost answer reaches the provider with the same key,
/// and hashed, so it is always a valid key whatever the client sent.
pub fn provider_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("shop-{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A fingerprint of the request body.
pub fn fingerprint(request: &Value) -> Vec<u8> {
    Sha256::digest(request.to_string().as_bytes()).to_vec()
}

pub enum Begin {
    /// First time (or the first attempt died): do the work.
    Proceed,
    /// Done before: answer this.
    Replay(StatusCode, Value),
}

#[query_span("INSERT", "idempotency_keys")]
pub async fn begin(pool: &PgPool, key: &str, fingerprint: &[u8]) -> Result<Begin, ApiError> {
    let lease = chrono::Utc::now() + LEASE;
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query!(
        r#"INSERT INTO idempotency_keys (key, request_hash, locked_until) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO NOTHING"#,
        key,
        fingerprint,
        lease
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if claimed {
        tx.commit().await?;
        return Ok(Begin::Proceed);
    }
    let stored = sqlx::query!(
        r#"SELECT request_hash, response_status, response_body, locked_until < now() AS "expired!"
           FROM idempotency_keys WHERE key = $1 FOR UPDATE"#,
        key
    )
    .fetch_one(&mut *tx)
    .await?;
    if stored.request_hash != fingerprint {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
        ));
    }
    if let (Some(status), Some(body)) = (stored.response_status, stored.response_body) {
        let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
        return Ok(Begin::Replay(status, body));
    }
    if !stored.expired {
        return Err(ApiError::conflict("request_in_progress", "a request with this Idempotency-Key is running"));
    }
    sqlx::query!("UPDATE idempotency_keys SET locked_until = $2 WHERE key = $1", key, lease).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Begin::Proceed)
}

/// Stores the answer, inside the transaction that made the change.
#[query_span("UPDATE", "idempotency_keys")]
pub async fn complete(conn: &mut PgConnection, key: &str, status: StatusCode, body: &Value) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response_status = $2, response_body = $3 WHERE key = $1",
        key,
        status.as_u16() as i16,
        body
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Frees the key after a failure with no effect, so that a retry may run.
#[query_span("DELETE", "idempotency_keys")]
pub async fn abandon(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM idempotency_keys WHERE key = $1 AND response_status IS NULL", key).execute(pool).await?;
    Ok(())
}
