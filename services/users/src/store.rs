//! Every query of the users service, in one place.

use chrono::{DateTime, Utc};
use platform::email::Email;
use platform::pagination::Pagination;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::DisplayName;
use platform::db::query_span;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Profile {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Creates the profile, or returns the existing one when it was already
/// created with the same address: registration may call twice after a timeout.
/// `None` when the address belongs to another user.
#[query_span("INSERT", "profiles")]
pub async fn create_profile(
    pool: &PgPool,
    user_id: Uuid,
    email: &Email,
    display_name: &DisplayName,
) -> Result<Option<(Profile, bool)>, sqlx::Error> {
    let inserted = sqlx::query_as!(
        Profile,
        r#"
        INSERT INTO profiles (user_id, email, display_name) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        RETURNING user_id, email, display_name, created_at, updated_at
        "#,
        user_id,
        email.as_str(),
        display_name.as_str()
    )
    .fetch_optional(pool)
    .await?;
    if let Some(profile) = inserted {
        return Ok(Some((profile, true)));
    }
    let existing = get_profile(pool, user_id).await?;
    Ok(existing.filter(|p| p.email == email.as_str()).map(|p| (p, false)))
}

#[query_span("SELECT", "profiles")]
pub async fn get_profile(pool: &PgPool, user_id: Uuid) -> Result<Option<Profile>, sqlx::Error> {
    sqlx::query_as!(
        Profile,
        "SELECT user_id, email, display_name, created_at, updated_at FROM profiles WHERE user_id = $1",
        user_id
    )
    .fetch_optional(pool)
    .await
}

#[query_span("UPDATE", "profiles")]
pub async fn rename(pool: &PgPool, user_id: Uuid, display_name: &DisplayName) -> Result<Option<Profile>, sqlx::Error> {
    sqlx::query_as!(
        Profile,
        r#"
        UPDATE profiles SET display_name = $2, updated_at = now() WHERE user_id = $1
        RETURNING user_id, email, display_name, created_at, updated_at
        "#,
        user_id,
        display_name.as_str()
    )
    .fetch_optional(pool)
    .await
}

#[query_span("SELECT", "profiles")]
pub async fn list_profiles(pool: &PgPool, page: Pagination) -> Result<(Vec<Profile>, i64), sqlx::Error> {
    let items = sqlx::query_as!(
        Profile,
        r#"
        SELECT user_id, email, display_name, created_at, updated_at FROM profiles
        ORDER BY created_at, user_id LIMIT $1 OFFSET $2
        "#,
        page.limit(),
        page.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "count!" FROM profiles"#).fetch_one(pool).await?;
    Ok((items, total))
}
