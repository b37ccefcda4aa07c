//! Wiring: upstream clients, key cache, rate limit, cache, routes, server.

use std::sync::Arc;

use platform::health::ReadinessCheck;
use platform::server::{HttpServer, Service};

use crate::cache::ResponseCache;
use crate::configuration::Settings;
use crate::identity::IdentityState;
use crate::jwks::JwksCache;
use crate::metrics::GatewayMetrics;
use crate::rate_limit::RateLimit;
use crate::routes::{self, Gateway};

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let mut service = Service::new("gateway", settings.server.clone());
    let auth = service.client(settings.upstreams.auth.clone()).await;
    let users = service.client(settings.upstreams.users.clone()).await;
    let catalog = service.client(settings.upstreams.catalog.clone()).await;
    let inventory = service.client(settings.upstreams.inventory.clone()).await;
    let orders = service.client(settings.upstreams.orders.clone()).await;
    let notifications = service.client(settings.upstreams.notifications.clone()).await;

    let jwks = Arc::new(JwksCache::new(auth.clone(), settings.jwks_min_refresh));
    // Auth may start after the gateway: keys are fetched again on demand.
    if let Err(error) = jwks.refresh().await {
        tracing::warn!(error = %error, "JWKS not loaded at start-up");
    }

    let metrics = GatewayMetrics::register(service.registry());
    let state = Arc::new(Gateway {
        auth: auth.clone(),
        users: users.clone(),
        catalog: catalog.clone(),
        inventory,
        orders: orders.clone(),
        notifications,
        cache: Arc::new(ResponseCache::new(settings.cache)),
        cache_enabled: settings.cache.enabled,
        metrics: metrics.clone(),
        max_body_bytes: settings.server.max_body_bytes,
    });
    let identity = IdentityState { jwks: jwks.clone(), metrics: metrics.clone() };
    let rate_limit = RateLimit::new(settings.rate_limit, metrics);

    service =
        service
            // Without the signing keys no token can be verified.
            .check_ready(ReadinessCheck::new("jwks", move || {
                let jwks = jwks.clone();
                async move {
                    if jwks.has_keys() { Ok(()) } else { jwks.refresh().await.map(|_| ()).map_err(|e| e.to_string()) }
                }
            }))
            // Upstreams are reported, not required: the gateway degrades per route.
            .check_ready(users.readiness_check().optional())
            .check_ready(catalog.readiness_check().optional())
            .check_ready(orders.readiness_check().optional());
    let server = service.bind(routes::router(state, identity, rate_limit)).await?;
    Ok(server)
}
