//! The public API: every route under `/api/v1` and `/api/v2`, mapped onto
//! the service that owns it (versions: `versioning.rs`). Identity and rate
//! limiting run before every route.

mod catalog;
mod dashboard;
mod openapi;
mod passthrough;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, post};
use platform::client::ServiceClient;

use crate::cache::ResponseCache;
use crate::identity::{IdentityState, establish_identity};
use crate::metrics::{GatewayMetrics, OriginLabels};
use crate::rate_limit::{RateLimit, limit_rate};
use crate::versioning;

/// Shared by every handler, behind an `Arc`: axum clones the state for
/// every request, and six clients' stacks are not cheap to clone.
pub type GatewayState = Arc<Gateway>;

pub struct Gateway {
    pub auth: ServiceClient,
    pub users: ServiceClient,
    pub catalog: ServiceClient,
    pub inventory: ServiceClient,
    pub orders: ServiceClient,
    pub notifications: ServiceClient,
    pub cache: Arc<ResponseCache>,
    /// Off: catalog reads are forwarded like any other route.
    pub cache_enabled: bool,
    pub metrics: GatewayMetrics,
    pub max_body_bytes: usize,
}

/// Counts requests by origin: load tests send `x-load-test` (see `loadtests/`).
async fn count_origin(
    axum::extract::State(metrics): axum::extract::State<GatewayMetrics>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let origin = if request.headers().contains_key("x-load-test") { "load-test" } else { "client" };
    metrics.requests.get_or_create(&OriginLabels { origin }).inc();
    next.run(request).await
}

pub fn router(state: GatewayState, identity: IdentityState, rate_limit: RateLimit) -> Router {
    let metrics = state.metrics.clone();
    let versioned = versioned_routes()
        .with_state(state)
        // Inner: the rate limit keys on the identity established outside it.
        .layer(from_fn_with_state(rate_limit, limit_rate))
        .layer(from_fn_with_state(identity, establish_identity))
        // A header that contradicts the path is refused before anything else.
        .layer(from_fn_with_state(metrics.clone(), versioning::mark_version))
        // Outermost: every request is counted by origin, even refused ones.
        .layer(from_fn_with_state(metrics, count_origin));
    // What no versioned route matched: the unversioned path (version by
    // header) and v2's resources that v1 routes serve.
    let dispatching = Router::new()
        .route("/api/{*rest}", any(versioning::negotiate))
        .route("/api/v2/{*rest}", any(versioning::carry_over))
        .with_state(versioned.clone());
    versioned.merge(dispatching)
}

fn versioned_routes() -> Router<GatewayState> {
    Router::new()
        // auth: public (it is where tokens come from).
        .route("/api/v1/auth/{*rest}", any(passthrough::to_auth))
        .route("/.well-known/jwks.json", get(passthrough::to_auth))
        // users: every route needs a caller.
        .route("/api/v1/users", any(passthrough::to_users))
        .route("/api/v1/users/{*rest}", any(passthrough::to_users))
        // catalog: reads are public and cached; writes need a caller (catalog checks the role).
        .route("/api/v1/products", get(catalog::read).post(catalog::write))
        .route(
            "/api/v1/products/{*rest}",
            get(catalog::read).patch(catalog::write).put(catalog::write).delete(catalog::write),
        )
        .route("/api/v1/categories", get(catalog::read).post(catalog::write))
        .route("/api/v1/recommendations", get(catalog::read))
        .route("/api/v2/products", get(catalog::read).post(catalog::write))
        .route(
            "/api/v2/products/{*rest}",
            get(catalog::read).patch(catalog::write).put(catalog::write).delete(catalog::write),
        )
        .route("/api/v2/recommendations", get(catalog::read))
        // inventory: availability is public; restocking needs a caller (inventory checks the role).
        .route("/api/v1/inventory/{product_id}", get(passthrough::to_inventory))
        .route("/api/v1/inventory/{product_id}/restock", post(passthrough::to_inventory_as_caller))
        // orders and notifications: the caller's own.
        .route("/api/v1/orders", any(passthrough::to_orders))
        .route("/api/v1/orders/{*rest}", any(passthrough::to_orders))
        .route("/api/v2/orders", any(passthrough::to_orders))
        .route("/api/v2/orders/{*rest}", any(passthrough::to_orders))
        .route("/api/v1/notifications", any(passthrough::to_notifications))
        // aggregation
        .route("/api/v1/dashboard", get(dashboard::dashboard))
        .route("/api/v2/dashboard", get(dashboard::dashboard_v2))
        // the API's own description
        .route("/api/v1/openapi.json", get(openapi::v1))
        .route("/api/v2/openapi.json", get(openapi::v2))
        .route("/api/docs", get(openapi::docs_page))
}
