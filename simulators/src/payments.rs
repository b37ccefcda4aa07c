//! A payment provider, Stripe-shaped: charges and refunds, each with an
//! `Idempotency-Key`. `payment_method: "tok_decline"` always declines (402),
//! `"tok_visa"` succeeds unless the configured decline rate says otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use platform::server::{HttpServer, Service};
use platform::{ApiError, AppJson, AppPath};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{self, BehaviourSwitch};
use crate::idempotency::{IdempotencyStore, key_of};

pub const DEFAULT_PORT: u16 = 9101;
/// The test card that is always declined.
pub const DECLINING_METHOD: &str = "tok_decline";

pub use crate::settings::Settings;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    pub amount_minor: i64,
    pub currency: String,
    pub payment_method: String,
    /// The merchant's reference (the shop sends its order id).
    pub reference: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    pub charge_id: String,
    pub amount_minor: i64,
}

#[derive(Clone)]
struct ProviderState {
    behaviour: BehaviourSwitch,
    idempotency: IdempotencyStore,
    charges: Arc<Mutex<HashMap<String, Value>>>,
}

pub fn router(behaviour: BehaviourSwitch) -> Router {
    let state = ProviderState {
        behaviour: behaviour.clone(),
        idempotency: IdempotencyStore::default(),
        charges: Arc::default(),
    };
    Router::new()
        .route("/v1/charges", post(charge))
        .route("/v1/charges/{id}", get(charge_by_id))
        .route("/v1/refunds", post(refund))
        .with_state(state)
        .merge(
            Router::new()
                .route("/admin/behaviour", get(behaviour::get_behaviour).put(behaviour::put_behaviour))
                .with_state(behaviour),
        )
}

async fn charge(
    State(state): State<ProviderState>,
    headers: HeaderMap,
    AppJson(request): AppJson<ChargeRequest>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let key = key_of(&headers)?;
    let fingerprint = serde_json::to_value(&request).expect("serialisable");
    let behaviour = state.behaviour.current();
    behaviour.delay().await;
    if let Some((status, body)) = state.idempotency.replay(&key, &fingerprint)? {
        return Ok((status, AppJson(body)));
    }
    if behaviour.should_fail() {
        return Err(ApiError::unavailable("payment network"));
    }
    if request.amount_minor <= 0 {
        return Err(ApiError::unprocessable("invalid_amount", "amount_minor must be positive"));
    }
    let id = format!("ch_{}", uuid::Uuid::new_v4().simple());
    let declined = request.payment_method == DECLINING_METHOD || behaviour.should_decline();
    let (status, body) = if declined {
        (
            StatusCode::PAYMENT_REQUIRED,
            json!({"id": id, "status": "declined", "decline_code": "card_declined",
            "amount_minor": request.amount_minor, "currency": request.currency, "reference": request.reference}),
        )
    } else {
        (
            StatusCode::CREATED,
            json!({"id": id, "status": "succeeded", "amount_minor": request.amount_minor,
            "currency": request.currency, "reference": request.reference, "refunded_minor": 0}),
        )
    };
    state.charges.lock().expect("poisoned").insert(id, body.clone());
    state.idempotency.remember(key, fingerprint, status, body.clone());
    Ok((status, AppJson(body)))
}

async fn charge_by_id(
    State(state): State<ProviderState>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<Value>, ApiError> {
    state
        .charges
        .lock()
        .expect("poisoned")
        .get(&id)
        .cloned()
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found(format!("no charge {id}")))
}

async fn refund(
    State(state): State<ProviderState>,
    headers: HeaderMap,
    AppJson(request): AppJson<RefundRequest>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let key = key_of(&headers)?;
    let fingerprint = serde_json::to_value(&request).expect("serialisable");
    let behaviour = state.behaviour.current();
    behaviour.delay().await;
    if let Some((status, body)) = state.idempotency.replay(&key, &fingerprint)? {
        return Ok((status, AppJson(body)));
    }
    if behaviour.should_fail() {
        return Err(ApiError::unavailable("payment network"));
    }
    let body = {
        let mut charges = state.charges.lock().expect("poisoned");
        let charge = charges.get_mut(&request.charge_id).ok_or_else(|| ApiError::not_found("no such charge"))?;
        if charge["status"] != "succeeded" {
            return Err(ApiError::unprocessable("charge_not_refundable", "only succeeded charges can be refunded"));
        }
        let refunded = charge["refunded_minor"].as_i64().unwrap_or(0) + request.amount_minor;
        if request.amount_minor <= 0 || refunded > charge["amount_minor"].as_i64().unwrap_or(0) {
            return Err(ApiError::unprocessable("invalid_amount", "refund exceeds the charge"));
        }
        charge["refunded_minor"] = json!(refunded);
        json!({"id": format!("re_{}", uuid::Uuid::new_v4().simple()), "status": "succeeded",
               "charge_id": request.charge_id, "amount_minor": request.amount_minor})
    };
    state.idempotency.remember(key, fingerprint, StatusCode::CREATED, body.clone());
    Ok((StatusCode::CREATED, AppJson(body)))
}

/// Builds and binds the simulator.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let behaviour = BehaviourSwitch::new(settings.behaviour);
    Service::new("payment-provider", settings.server).bind(router(behaviour)).await
}
