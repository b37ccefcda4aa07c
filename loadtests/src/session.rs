//! What each virtual user remembers: who it is and its tokens. Access tokens
//! are refreshed before they expire, as a browser session would.

use std::time::{Duration, Instant};

use goose::prelude::*;
use serde_json::{Value, json};

use crate::traffic::{call, json_of};

#[derive(Debug, Clone)]
pub struct Session {
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: Instant,
}

impl Session {
    pub fn from_tokens(email: String, password: String, tokens: &Value) -> Option<Self> {
        Some(Self {
            email,
            password,
            access_token: tokens["access_token"].as_str()?.to_owned(),
            refresh_token: tokens["refresh_token"].as_str()?.to_owned(),
            // Refresh a little before the token's real expiry.
            expires_at: Instant::now() + Duration::from_secs(tokens["expires_in"].as_u64()?.saturating_sub(30)),
        })
    }
}

/// Logs in as `email`, storing the session on the user.
pub async fn log_in(user: &mut GooseUser, name: &str, email: &str, password: &str) -> TransactionResult {
    let body = json!({"email": email, "password": password});
    let tokens = json_of(call(user, GooseMethod::Post, "/api/v1/auth/login", name, Some(&body), None).await?).await;
    if let Some(session) = Session::from_tokens(email.to_owned(), password.to_owned(), &tokens) {
        user.set_session_data(session);
    }
    Ok(())
}

/// The access token, refreshed first when it is about to expire.
pub async fn access_token(user: &mut GooseUser) -> Result<Option<String>, Box<TransactionError>> {
    let Some(session) = user.get_session_data::<Session>().cloned() else { return Ok(None) };
    if Instant::now() < session.expires_at {
        return Ok(Some(session.access_token));
    }
    let body = json!({"refresh_token": session.refresh_token});
    let response =
        call(user, GooseMethod::Post, "/api/v1/auth/refresh", "session: refresh token", Some(&body), None).await?;
    let tokens: Value = match response.response {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
        _ => Value::Null,
    };
    match Session::from_tokens(session.email.clone(), session.password.clone(), &tokens) {
        Some(fresh) => {
            let token = fresh.access_token.clone();
            user.set_session_data(fresh);
            Ok(Some(token))
        }
        None => {
            log_in(user, "session: log in again", &session.email, &session.password).await?;
            Ok(user.get_session_data::<Session>().map(|s| s.access_token.clone()))
        }
    }
}
