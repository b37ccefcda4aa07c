//! `GET /api/v1/dashboard`: one call for the customer's start page, gathered
//! from several services at once. Each section reports its own status, so a
//! failing service costs its section, not the page.

use axum::extract::State;
use axum::http::HeaderMap;
use platform::client::{Call, ServiceClient};
use platform::{ApiError, AppJson, Caller};
use serde::Serialize;
use serde_json::{Value, json};

use super::GatewayState;

#[derive(Serialize)]
pub struct Dashboard {
    /// True when any section is missing or a fallback.
    degraded: bool,
    sections: Sections,
}

#[derive(Serialize)]
pub struct Sections {
    profile: Section,
    recent_orders: Section,
    recommendations: Section,
}

#[derive(Serialize)]
pub struct Section {
    /// ok, fallback (a stand-in answer) or unavailable.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

impl Section {
    fn ok(data: Value) -> Self {
        Self { status: "ok", data: Some(data), error: None }
    }

    fn failed(status: &'static str, data: Option<Value>, error: &ApiError) -> Self {
        Self { status, data, error: Some(json!({ "code": error.code(), "message": error.to_string() })) }
    }
}

async fn fetch(client: &ServiceClient, path: &str, caller: &Caller) -> Result<Value, ApiError> {
    let mut headers = HeaderMap::new();
    caller.write_headers(&mut headers);
    Ok(client.json(Call::get(path).headers(headers)).await?)
}

pub async fn dashboard(State(state): State<GatewayState>, caller: Caller) -> AppJson<Dashboard> {
    let (profile, orders, recommendations) = tokio::join!(
        fetch(&state.users, "/api/v1/users/me", &caller),
        fetch(&state.orders, "/api/v1/orders?per_page=5", &caller),
        fetch(&state.catalog, "/api/v1/recommendations?limit=5", &caller),
    );
    let profile = match profile {
        Ok(data) => Section::ok(data),
        Err(error) => Section::failed("unavailable", None, &error),
    };
    let recent_orders = match orders {
        Ok(page) => Section::ok(page["items"].clone()),
        Err(error) => Section::failed("unavailable", None, &error),
    };
    // Recommendations are optional by nature: an empty list stands in.
    let recommendations = match recommendations {
        Ok(data) => Section::ok(data),
        Err(error) => Section::failed("fallback", Some(json!({ "items": [] })), &error),
    };
    let degraded = [&profile, &recent_orders, &recommendations].iter().any(|s| s.status != "ok");
    AppJson(Dashboard { degraded, sections: Sections { profile, recent_orders, recommendations } })
}
