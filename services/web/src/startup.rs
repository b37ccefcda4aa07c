//! Wiring: the gateway client, state, routes, server.

use std::sync::Arc;

use platform::server::{HttpServer, Service};

use crate::configuration::Settings;
use crate::control::ControlPlane;
use crate::csrf::Csrf;
use crate::desk::Desk;
use crate::routes::{self, Storefront};
use crate::shop::Shop;

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let mut service = Service::new("web", settings.server.clone());
    let gateway = service.client(settings.gateway.clone()).await;
    let control = ControlPlane {
        chaos: service.client(settings.chaos_proxy.clone()).await,
        prometheus: service.client(settings.prometheus.clone()).await,
    };
    let desk = Desk { client: service.client(settings.chaos_desk.clone()).await };
    // Reported, not required: without the gateway the pages say the shop
    // is unavailable, and the storefront stays in rotation to say so.
    service = service.check_ready(gateway.readiness_check().optional()).with_own_fallback().trace_context_from_query();
    let state = Arc::new(Storefront {
        shop: Shop::new(gateway),
        csrf: Csrf::new(settings.csrf_secret),
        control,
        desk,
        jaeger_url: settings.jaeger_url,
        grafana_url: settings.grafana_url,
    });
    service.bind(routes::router(state)).await
}
