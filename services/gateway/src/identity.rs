//! Establishes who is calling. Identity headers sent by clients are removed
//! (only the gateway may set them); a bearer token, when present, must verify,
//! and its caller is passed on to the handlers and, as headers, downstream.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use platform::identity::{USER_ID_HEADER, USER_ROLE_HEADER};
use platform::{ApiError, Caller};

use crate::jwks::JwksCache;
use crate::metrics::{AuthLabels, GatewayMetrics};

#[derive(Clone)]
pub struct IdentityState {
    pub jwks: Arc<JwksCache>,
    pub metrics: GatewayMetrics,
}

pub async fn establish_identity(State(state): State<IdentityState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    headers.remove(USER_ID_HEADER);
    headers.remove(USER_ROLE_HEADER);
    let Some(authorization) = headers.get(AUTHORIZATION) else {
        return next.run(request).await;
    };
    let token = authorization.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        state.metrics.rejected_tokens.get_or_create(&AuthLabels { reason: "malformed" }).inc();
        return ApiError::unauthorized("expected 'Authorization: Bearer <token>'").into_response();
    };
    if !state.jwks.has_keys() {
        // Without keys nothing can be verified: say so rather than 401 everyone.
        if state.jwks.refresh().await.is_err() {
            return ApiError::unavailable("auth").into_response();
        }
    }
    match state.jwks.verify(token).await {
        Ok(caller) => {
            caller.write_headers(request.headers_mut());
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(rejection) => {
            state.metrics.rejected_tokens.get_or_create(&AuthLabels { reason: rejection.reason() }).inc();
            ApiError::unauthorized(format!("access token refused ({})", rejection.reason())).into_response()
        }
    }
}

/// 401 for routes that need a caller when the request has none.
pub async fn require_caller(request: Request, next: Next) -> Response {
    if request.extensions().get::<Caller>().is_none() {
        return ApiError::unauthorized("this route needs an access token").into_response();
    }
    next.run(request).await
}
