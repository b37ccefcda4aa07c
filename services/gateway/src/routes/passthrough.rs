//! Routes forwarded as they are. Handlers that take a `Caller` answer 401
//! without one, before anything is forwarded; the service behind checks
//! roles and ownership.

use axum::extract::{Request, State};
use axum::response::Response;
use platform::client::ServiceClient;
use platform::{ApiError, Caller};

use super::GatewayState;
use crate::proxy::{forward, stream_back};

async fn pass(upstream: &ServiceClient, request: Request, max_body: usize) -> Result<Response, ApiError> {
    Ok(stream_back(forward(upstream, request, max_body).await?))
}

pub async fn to_auth(State(state): State<GatewayState>, request: Request) -> Result<Response, ApiError> {
    pass(&state.auth, request, state.max_body_bytes).await
}

pub async fn to_inventory(State(state): State<GatewayState>, request: Request) -> Result<Response, ApiError> {
    pass(&state.inventory, request, state.max_body_bytes).await
}

pub async fn to_inventory_as_caller(
    State(state): State<GatewayState>,
    _: Caller,
    request: Request,
) -> Result<Response, ApiError> {
    pass(&state.inventory, request, state.max_body_bytes).await
}

pub async fn to_users(State(state): State<GatewayState>, _: Caller, request: Request) -> Result<Response, ApiError> {
    pass(&state.users, request, state.max_body_bytes).await
}

pub async fn to_orders(State(state): State<GatewayState>, _: Caller, request: Request) -> Result<Response, ApiError> {
    pass(&state.orders, request, state.max_body_bytes).await
}

pub async fn to_notifications(
    State(state): State<GatewayState>,
    _: Caller,
    request: Request,
) -> Result<Response, ApiError> {
    pass(&state.notifications, request, state.max_body_bytes).await
}
