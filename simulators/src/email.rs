//! An e-mail API: accepts messages (`POST /v1/messages`, deduplicated by
//! `Idempotency-Key`) and lists what it "sent" (`GET /v1/messages?to=`), so
//! tests and the invariant checker can count deliveries.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use platform::server::{HttpServer, Service};
use platform::{ApiError, AppJson, AppQuery};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{self, BehaviourSwitch};
use crate::idempotency::{IdempotencyStore, key_of};

pub const DEFAULT_PORT: u16 = 9102;

pub use crate::settings::Settings;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Clone)]
struct MailState {
    behaviour: BehaviourSwitch,
    idempotency: IdempotencyStore,
    sent: Arc<Mutex<Vec<Value>>>,
}

pub fn router(behaviour: BehaviourSwitch) -> Router {
    let state =
        MailState { behaviour: behaviour.clone(), idempotency: IdempotencyStore::default(), sent: Arc::default() };
    Router::new().route("/v1/messages", post(send).get(list)).with_state(state).merge(
        Router::new()
            .route("/admin/behaviour", get(behaviour::get_behaviour).put(behaviour::put_behaviour))
            .with_state(behaviour),
    )
}

async fn send(
    State(state): State<MailState>,
    headers: HeaderMap,
    AppJson(message): AppJson<Message>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let key = key_of(&headers)?;
    let fingerprint = serde_json::to_value(&message).expect("serialisable");
    let behaviour = state.behaviour.current();
    behaviour.delay().await;
    if let Some((status, body)) = state.idempotency.replay(&key, &fingerprint)? {
        return Ok((status, AppJson(body)));
    }
    if behaviour.should_fail() {
        return Err(ApiError::unavailable("mail relay"));
    }
    if !message.to.contains('@') {
        return Err(ApiError::unprocessable("invalid_recipient", "to must be an e-mail address"));
    }
    let body = json!({"id": format!("msg_{}", uuid::Uuid::new_v4().simple()), "status": "queued",
                      "to": message.to, "subject": message.subject, "idempotency_key": key});
    state.sent.lock().expect("poisoned").push(body.clone());
    state.idempotency.remember(key, fingerprint, StatusCode::ACCEPTED, body.clone());
    Ok((StatusCode::ACCEPTED, AppJson(body)))
}

#[derive(Deserialize)]
struct ListQuery {
    to: Option<String>,
}

async fn list(State(state): State<MailState>, AppQuery(query): AppQuery<ListQuery>) -> AppJson<Value> {
    let sent = state.sent.lock().expect("poisoned");
    let items: Vec<Value> =
        sent.iter().filter(|m| query.to.as_deref().is_none_or(|to| m["to"] == to)).cloned().collect();
    AppJson(json!({ "items": items }))
}

/// Builds and binds the simulator.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let behaviour = BehaviourSwitch::new(settings.behaviour);
    Service::new("email-api", settings.server).bind(router(behaviour)).await
}
