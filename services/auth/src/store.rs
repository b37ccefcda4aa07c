//! Every query of the auth service, in one place.

use chrono::{DateTime, Utc};
use platform::Role;
use platform::db::query_span;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct StoredCredentials {
    pub user_id: Uuid,
    pub password_hash: String,
    pub role: Role,
}

fn role_of(raw: &str) -> Role {
    raw.parse().unwrap_or(Role::Customer)
}

#[query_span("INSERT", "credentials")]
pub async fn insert_credentials(
    conn: &mut PgConnection,
    user_id: Uuid,
    email: &str,
    password_hash: &str,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO credentials (user_id, email, password_hash, role) VALUES ($1, $2, $3, $4)",
        user_id,
        email,
        password_hash,
        role.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[query_span("SELECT", "credentials")]
pub async fn find_by_email(pool: &PgPool, email: &str) -> Result<Option<StoredCredentials>, sqlx::Error> {
    let row = sqlx::query!("SELECT user_id, password_hash, role FROM credentials WHERE email = $1", email)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| StoredCredentials { user_id: r.user_id, password_hash: r.password_hash, role: role_of(&r.role) }))
}

#[query_span("SELECT", "credentials")]
pub async fn email_exists(pool: &PgPool, email: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!("SELECT user_id FROM credentials WHERE email = $1", email)
        .fetch_optional(pool)
        .await?
        .is_some())
}

#[query_span("INSERT", "refresh_tokens")]
pub async fn insert_refresh_token(
    pool: &PgPool,
    family_id: Uuid,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5)"#,
        Uuid::now_v7(),
        family_id,
        user_id,
        token_hash,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What presenting a refresh token led to.
pub enum Rotation {
    /// The token was valid and is now used up; issue the next of `family_id`.
    Rotated { user_id: Uuid, role: Role, family_id: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used once: someone replays it. The whole family is revoked.
    Reused,
}

/// Uses up the token with `token_hash`, atomically: two concurrent refreshes
/// with the same token cannot both succeed (row lock).
#[query_span("UPDATE", "refresh_tokens")]
pub async fn use_refresh_token(pool: &PgPool, token_hash: &[u8]) -> Result<Rotation, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(token) = sqlx::query!(
        r#"SELECT t.id, t.family_id, t.user_id, t.expires_at, t.used_at, t.revoked_at, c.role
           FROM refresh_tokens t JOIN credentials c ON c.user_id = t.user_id
           WHERE t.token_hash = $1 FOR UPDATE OF t"#,
        token_hash
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Rotation::Invalid);
    };
    if token.revoked_at.is_some() || token.expires_at <= Utc::now() {
        return Ok(Rotation::Invalid);
    }
    if token.used_at.is_some() {
        revoke_family(&mut tx, token.family_id).await?;
        tx.commit().await?;
        return Ok(Rotation::Reused);
    }
    sqlx::query!("UPDATE refresh_tokens SET used_at = now() WHERE id = $1", token.id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Rotation::Rotated { user_id: token.user_id, role: role_of(&token.role), family_id: token.family_id })
}

async fn revoke_family(conn: &mut PgConnection, family_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Logout: revokes the family of the token with `token_hash`, if any.
#[query_span("UPDATE", "refresh_tokens")]
pub async fn revoke_by_hash(pool: &PgPool, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let family = sqlx::query_scalar!("SELECT family_id FROM refresh_tokens WHERE token_hash = $1", token_hash)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(family_id) = family {
        revoke_family(&mut conn, family_id).await?;
    }
    Ok(())
}
