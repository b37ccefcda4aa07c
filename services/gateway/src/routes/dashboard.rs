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

#[derive(Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// True when any section is missing or a fallback.
    degraded: bool,
    sections: Sections,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Sections {
    profile: Section,
    recent_orders: Section,
    recommendations: Section,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Section {
    /// ok, fallback (a stand-in answer) or unavailable.
    status: &'static str,
    /// The section's content, in the shape of the route it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Value>)]
    data: Option<Value>,
    /// Why the section is missing or a fallback, in the error shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<platform::error::ErrorDetail>)]
    error: Option<Value>,
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(dashboard, dashboard_v2))]
struct DashboardApi;

/// The gateway's own part of the public API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <DashboardApi as utoipa::OpenApi>::openapi()
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

#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    responses((status = 200, description = "Profile, recent orders and recommendations; each section says whether it is ok", body = Dashboard)))]
pub async fn dashboard(State(state): State<GatewayState>, caller: Caller) -> AppJson<Dashboard> {
    gather(&state, &caller, "/api/v1/orders?per_page=5", "/api/v1/recommendations?limit=5").await
}

/// The same page, with v2's orders and products (money with its currency).
#[utoipa::path(get, path = "/api/v2/dashboard", tag = "dashboard", security(("bearer" = [])),
    responses((status = 200, description = "Profile, recent orders and recommendations; each section says whether it is ok", body = Dashboard)))]
pub async fn dashboard_v2(State(state): State<GatewayState>, caller: Caller) -> AppJson<Dashboard> {
    gather(&state, &caller, "/api/v2/orders?limit=5", "/api/v2/recommendations?limit=5").await
}

async fn gather(state: &GatewayState, caller: &Caller, orders: &str, recommendations: &str) -> AppJson<Dashboard> {
    let (profile, orders, recommendations) = tokio::join!(
        fetch(&state.users, "/api/v1/users/me", caller),
        fetch(&state.orders, orders, caller),
        fetch(&state.catalog, recommendations, caller),
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
