//! The e-mail API and the users service, as the consumer needs them.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use platform::client::{Call, ServiceClient};
use platform::messaging::consumer::HandlerError;
use serde_json::{Value, json};
use uuid::Uuid;

/// The address to write to; `None` when the user has no profile.
pub async fn address_of(users: &ServiceClient, user_id: Uuid) -> Result<Option<String>, HandlerError> {
    let response = users
        .send(Call::get(format!("/internal/v1/profiles/{user_id}")))
        .await
        .map_err(|e| HandlerError::Transient(e.into()))?;
    match response.status() {
        StatusCode::NOT_FOUND => Ok(None),
        status if status.is_success() => {
            let profile: Value = response.json().await.map_err(|e| HandlerError::Transient(e.into()))?;
            Ok(profile["email"].as_str().map(str::to_owned))
        }
        status => Err(HandlerError::Transient(anyhow::anyhow!("users answered {status}"))),
    }
}

/// Sends one message. The key is the event's id: if we crash after sending
/// and the event is redelivered, the API recognises the repeat and does
/// not send it again.
pub async fn send(
    email: &ServiceClient,
    key: Uuid,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<String, HandlerError> {
    let mut headers = HeaderMap::new();
    headers.insert(platform::idempotency_key::HEADER, HeaderValue::from_str(&key.to_string()).expect("a uuid"));
    let call = Call::new(Method::POST, "/v1/messages")
        .json(&json!({ "to": to, "subject": subject, "text": text }))
        .headers(headers);
    let response = email.send(call).await.map_err(|e| HandlerError::Transient(e.into()))?;
    let status = response.status();
    if status.is_client_error() {
        return Err(HandlerError::Permanent(anyhow::anyhow!("e-mail API refused the message: {status}")));
    }
    if !status.is_success() {
        return Err(HandlerError::Transient(anyhow::anyhow!("e-mail API answered {status}")));
    }
    let body: Value = response.json().await.map_err(|e| HandlerError::Transient(e.into()))?;
    Ok(body["id"].as_str().unwrap_or_default().to_owned())
}
