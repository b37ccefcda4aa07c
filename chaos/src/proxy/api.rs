//! The control API, compatible with Toxiproxy's (same routes, JSON fields,
//! defaults, statuses and error shape `{"error": ..., "status": ...}`), so
//! existing Toxiproxy clients drive this proxy unchanged. HTTP faults are
//! toxics of three more types (`http_status`, `http_latency`, `http_abort`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use prometheus_client::registry::Registry as MetricsRegistry;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::model::{NewProxy, NewToxic, ProxyChange, ToxicChange};
use super::registry::{ApiError, Registry};
use super::windows::Window;

/// The version this API reports (Toxiproxy clients check it exists).
pub const VERSION: &str = concat!("2.12.0+testbed-", env!("CARGO_PKG_VERSION"));

#[derive(Clone)]
struct ApiState {
    registry: Registry,
    metrics: Arc<MetricsRegistry>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(json!({ "error": self.message, "status": self.status }))).into_response()
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::bad_body)
}

pub fn router(registry: Registry, metrics: Arc<MetricsRegistry>) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/reset", post(reset))
        .route("/populate", post(populate))
        .route("/proxies", get(list).post(create))
        .route("/proxies/{proxy}", get(show).post(update).patch(update).delete(delete))
        .route("/proxies/{proxy}/toxics", get(list_toxics).post(add_toxic))
        .route(
            "/proxies/{proxy}/toxics/{toxic}",
            get(show_toxic).post(update_toxic).patch(update_toxic).delete(delete_toxic),
        )
        .route("/faults", get(list_windows))
        .route("/faults/{fault}", axum::routing::put(open_window).delete(close_window))
        .route("/metrics", get(serve_metrics))
        .with_state(ApiState { registry, metrics })
}

async fn version() -> Response {
    ([(header::CONTENT_TYPE, "application/json;charset=utf-8")], format!("{{\"version\": \"{VERSION}\"}}\n"))
        .into_response()
}

async fn reset(State(state): State<ApiState>) -> Result<StatusCode, ApiError> {
    state.registry.reset().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn populate(
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let proxies: Vec<NewProxy> = parse(&body)?;
    let views = state.registry.populate(proxies).await?;
    Ok((StatusCode::CREATED, Json(json!({ "proxies": views }))))
}

async fn list(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.registry.list().await).expect("serialisable"))
}

async fn create(State(state): State<ApiState>, body: Bytes) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let new: NewProxy = parse(&body)?;
    let view = state.registry.create(new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(view).expect("serialisable"))))
}

async fn show(State(state): State<ApiState>, Path(proxy): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(serde_json::to_value(state.registry.get(&proxy).await?).expect("serialisable")))
}

async fn update(
    State(state): State<ApiState>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let change: ProxyChange = parse(&body)?;
    Ok(Json(serde_json::to_value(state.registry.update(&proxy, change).await?).expect("serialisable")))
}

async fn delete(State(state): State<ApiState>, Path(proxy): Path<String>) -> Result<StatusCode, ApiError> {
    state.registry.delete(&proxy).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_toxics(
    State(state): State<ApiState>,
    Path(proxy): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(serde_json::to_value(state.registry.toxics(&proxy).await?).expect("serialisable")))
}

async fn add_toxic(
    State(state): State<ApiState>,
    Path(proxy): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let new: NewToxic = parse(&body)?;
    Ok(Json(serde_json::to_value(state.registry.add_toxic(&proxy, new).await?).expect("serialisable")))
}

async fn show_toxic(
    State(state): State<ApiState>,
    Path((proxy, toxic)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(serde_json::to_value(state.registry.toxic(&proxy, &toxic).await?).expect("serialisable")))
}

async fn update_toxic(
    State(state): State<ApiState>,
    Path((proxy, toxic)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let change: ToxicChange = parse(&body)?;
    Ok(Json(serde_json::to_value(state.registry.update_toxic(&proxy, &toxic, change).await?).expect("serialisable")))
}

async fn delete_toxic(
    State(state): State<ApiState>,
    Path((proxy, toxic)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.registry.remove_toxic(&proxy, &toxic).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The extension for the runner's fault windows (`windows.rs`).
async fn list_windows(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.registry.windows().list()).expect("serialisable"))
}

async fn open_window(
    State(state): State<ApiState>,
    Path(fault): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let window: Window = parse(&body)?;
    state.registry.windows().open(&fault, window);
    Ok(StatusCode::NO_CONTENT)
}

async fn close_window(State(state): State<ApiState>, Path(fault): Path<String>) -> Result<StatusCode, ApiError> {
    match state.registry.windows().close(&fault) {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::fault_not_found()),
    }
}

async fn serve_metrics(State(state): State<ApiState>) -> Response {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &state.metrics).expect("encoding to a String");
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}
