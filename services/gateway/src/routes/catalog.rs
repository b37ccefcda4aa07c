//! Catalog routes: cached reads with a stale fallback, and writes that
//! invalidate the cache.

use axum::extract::{Request, State};
use axum::response::IntoResponse;
use axum::response::Response;
use platform::{ApiError, AppJson, Caller};

use super::GatewayState;
use crate::cache::{Lookup, mark};
use crate::metrics::CacheLabels;
use crate::proxy::{BufferedResponse, forward, stream_back};

pub async fn read(State(state): State<GatewayState>, request: Request) -> Result<Response, ApiError> {
    if !state.cache_enabled {
        return Ok(stream_back(forward(&state.catalog, request, state.max_body_bytes).await?));
    }
    let key = request.uri().path_and_query().map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
    let stale = match state.cache.lookup(&key).await {
        Lookup::Fresh(response) => {
            count(&state, "hit");
            return Ok(response);
        }
        Lookup::Stale(response) => Some(response),
        Lookup::Missing => None,
    };
    let outcome = match forward(&state.catalog, request, state.max_body_bytes).await {
        Ok(upstream) if upstream.status().is_server_error() => Err(ApiError::unavailable("catalog")),
        Ok(upstream) => Ok(BufferedResponse::read(upstream).await?),
        Err(error) => Err(error),
    };
    match (outcome, stale) {
        (Ok(fresh), _) => {
            count(&state, "miss");
            let response = fresh.to_response();
            state.cache.store(key, fresh).await;
            Ok(mark(response, "MISS", false))
        }
        (Err(error), Some(stale)) => {
            count(&state, "stale");
            tracing::warn!(error = %error, "catalog failed, serving the cached answer");
            Ok(stale)
        }
        // Recommendations are optional by nature: an empty list stands in.
        (Err(error), None) if key.contains("recommendations") => {
            count(&state, "fallback");
            tracing::warn!(error = %error, "catalog failed, answering recommendations with an empty list");
            Ok(mark(AppJson(serde_json::json!({ "items": [] })).into_response(), "FALLBACK", true))
        }
        (Err(error), None) => Err(error),
    }
}

fn count(state: &GatewayState, result: &'static str) {
    state.metrics.cache_requests.get_or_create(&CacheLabels { result }).inc();
}

/// Needs a caller; catalog itself checks that the caller is an admin.
pub async fn write(State(state): State<GatewayState>, _caller: Caller, request: Request) -> Result<Response, ApiError> {
    let upstream = forward(&state.catalog, request, state.max_body_bytes).await?;
    if upstream.status().is_success() {
        state.cache.invalidate_all();
    }
    Ok(stream_back(upstream))
}
