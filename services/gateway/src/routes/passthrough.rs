//! Routes forwarded as they are.

use axum::extract::{Request, State};
use axum::response::Response;
use platform::{ApiError, Caller};

use super::GatewayState;
use crate::proxy::{forward, stream_back};

pub async fn to_auth(
    State(state): State<GatewayState>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(stream_back(
        forward(&state.auth, request, state.max_body_bytes).await?,
    ))
}

/// Needs a caller (`Caller` rejects with 401 before anything is forwarded).
pub async fn to_users(
    State(state): State<GatewayState>,
    _caller: Caller,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(stream_back(
        forward(&state.users, request, state.max_body_bytes).await?,
    ))
}
