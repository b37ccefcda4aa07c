//! Refresh (with rotation and reuse detection), logout, and verification.

use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use platform::error::ErrorBody;
use platform::{ApiError, AppJson, Role};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::store::{self, Rotation};

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Issues an access token and a new refresh token of `family_id`.
pub async fn issue_pair(state: &AppState, user_id: Uuid, role: Role, family_id: Uuid) -> Result<TokenPair, ApiError> {
    let (access_token, _) = state.keys.issue(user_id, role, state.tokens.access_ttl)?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let refresh_token = URL_SAFE_NO_PAD.encode(secret);
    let expires_at = Utc::now() + state.tokens.refresh_ttl;
    store::insert_refresh_token(&state.pool, family_id, user_id, &digest(&refresh_token), expires_at).await?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_token,
    })
}

/// Refresh tokens are stored hashed: a leaked table does not leak sessions.
fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    refresh_token: SecretString,
}

/// A new token pair for a refresh token, which is used up (rotation); a
/// refresh token used twice revokes its whole family.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenPair),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    AppJson(request): AppJson<RefreshRequest>,
) -> Result<AppJson<TokenPair>, ApiError> {
    match store::use_refresh_token(&state.pool, &digest(request.refresh_token.expose_secret())).await? {
        Rotation::Rotated { user_id, role, family_id } => {
            Ok(AppJson(issue_pair(&state, user_id, role, family_id).await?))
        }
        Rotation::Invalid => Err(ApiError::unauthorized("refresh token invalid, expired or revoked")),
        Rotation::Reused => {
            tracing::warn!("refresh token reused: its family is revoked");
            Err(ApiError::unauthorized("refresh token already used; log in again"))
        }
    }
}

/// Revokes the session the refresh token belongs to. Always 204: logging out
/// twice, or with an unknown token, leaves the same state.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "The session is over")))]
pub async fn logout(
    State(state): State<AppState>,
    AppJson(request): AppJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    store::revoke_by_hash(&state.pool, &digest(request.refresh_token.expose_secret())).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyRequest {
    #[schema(value_type = String)]
    token: SecretString,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Verified {
    active: bool,
    sub: Uuid,
    role: Role,
    exp: i64,
}

/// Token introspection for services that cannot verify locally.
#[utoipa::path(post, path = "/api/v1/auth/verify", tag = "auth", request_body = VerifyRequest,
    responses(
        (status = 200, description = "The token is valid", body = Verified),
        (status = 401, description = "Invalid or expired", body = ErrorBody),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    AppJson(request): AppJson<VerifyRequest>,
) -> Result<AppJson<Verified>, ApiError> {
    let claims = state
        .keys
        .verify(request.token.expose_secret())
        .map_err(|_| ApiError::unauthorized("token invalid or expired"))?;
    Ok(AppJson(Verified { active: true, sub: claims.sub, role: claims.role, exp: claims.exp }))
}
