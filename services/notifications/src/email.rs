//! The e-mail API and the users service, as the consumer needs them.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use platform::client::{Call, ServiceClient};
use platform::email::Email;
use platform::messaging::consumer::HandlerError;
use serde::Deserialize;
use serde_json::json;
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
            let body = response.bytes().await.map_err(|e| HandlerError::Transient(e.into()))?;
            address_in(&body).map(Some)
        }
        status => Err(HandlerError::Transient(anyhow::anyhow!("users answered {status}"))),
    }
}

/// The part of a users profile notifications reads.
#[derive(Debug, Deserialize)]
struct Profile {
    email: Email,
}

/// The address in a profile users answered with. A profile without a
/// usable address is not "no profile": the message is dead-lettered, kept
/// and visible, rather than marked as skipped.
fn address_in(body: &[u8]) -> Result<String, HandlerError> {
    serde_json::from_slice::<Profile>(body)
        .map(|profile| profile.email.as_str().to_owned())
        .map_err(|e| HandlerError::Permanent(anyhow::anyhow!("users answered a profile without a usable address: {e}")))
}

/// What the e-mail API answers to a message it accepted.
#[derive(Debug, Deserialize)]
struct Accepted {
    id: String,
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
    // Unreadable: asked again with the same key, which the API replays.
    let accepted: Accepted = response.json().await.map_err(|e| HandlerError::Transient(e.into()))?;
    Ok(accepted.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_gives_its_address_and_one_without_a_usable_one_is_dead_lettered() {
        let address = address_in(br#"{"id":"u1","email":"Ada@Example.org","display_name":"Ada"}"#).unwrap();
        assert_eq!(address, "ada@example.org");
        for body in [&br#"{"id":"u1"}"#[..], br#"{"email":"not an address"}"#, br#"{"email":null}"#, b"<html>"] {
            assert!(matches!(address_in(body), Err(HandlerError::Permanent(_))), "{}", String::from_utf8_lossy(body));
        }
    }
}
