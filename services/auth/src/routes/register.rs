use axum::extract::State;
use axum::http::{Method, StatusCode};
use platform::client::Call;
use platform::error::{DbResultExt, ErrorBody};
use platform::{ApiError, AppJson, Role};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::domain::{NewPassword, Registration};
use crate::passwords::hash_password;
use crate::state::AppState;
use crate::store;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Registered {
    user_id: Uuid,
    email: String,
    role: Role,
}

/// Creates the credentials and, through users, the profile. Both or neither:
/// the credentials' transaction commits only after users answered.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Registration,
    responses(
        (status = 201, description = "Registered, as a customer", body = Registered),
        (status = 409, description = "The e-mail address has an account", body = ErrorBody),
        (status = 422, description = "Invalid body or weak password", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    AppJson(registration): AppJson<Registration>,
) -> Result<(StatusCode, AppJson<Registered>), ApiError> {
    let password = NewPassword::parse(registration.password.expose_secret(), &registration.email)
        .map_err(|message| ApiError::unprocessable("weak_password", message))?;
    let display_name = registration.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(ApiError::unprocessable("invalid_body", "display_name has 1 to 100 characters"));
    }
    let email = registration.email;
    let taken = || ApiError::conflict("email_taken", "an account with this e-mail address exists");
    // Cheap check first, so a duplicate does not pay for a password hash.
    if store::email_exists(&state.pool, email.as_str()).await? {
        return Err(taken());
    }
    let hash = hash_password(password.into_secret(), state.password_cost).await?;

    let user_id = Uuid::new_v4();
    let mut tx = state.pool.begin().await?;
    store::insert_credentials(&mut tx, user_id, email.as_str(), &hash, Role::Customer)
        .await
        .on_unique_violation("email_taken", "an account with this e-mail address exists")?;
    let call = Call::new(Method::PUT, format!("/internal/v1/profiles/{user_id}"))
        .json(&json!({ "email": email, "display_name": display_name }));
    let response = state.users.send(call).await?;
    match response.status() {
        status if status.is_success() => {}
        StatusCode::CONFLICT => return Err(taken()),
        // Users' rules for a profile (e.g. no control characters in the name).
        StatusCode::UNPROCESSABLE_ENTITY => {
            let refused: platform::error::ErrorBody = response
                .json()
                .await
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("users refused the profile unreadably: {e}")))?;
            return Err(ApiError::unprocessable("invalid_body", refused.error.message));
        }
        status => {
            return Err(ApiError::Internal(anyhow::anyhow!("users answered {status} to profile creation")));
        }
    }
    tx.commit().await?;
    tracing::info!(%user_id, "user registered");
    Ok((StatusCode::CREATED, AppJson(Registered { user_id, email: email.into(), role: Role::Customer })))
}
