//! The fault-injection proxy.

pub mod api;
mod connection;
mod error;
mod http;
mod instance;
mod link;
pub mod metrics;
pub mod model;
mod pipe;
pub mod registry;
mod request_match;
mod shaping;
mod toxics;
pub mod windows;

use std::sync::Arc;

pub use registry::Registry;

/// A proxy server's parts: the registry of proxies, and its control API
/// (which also serves the registry's `/metrics`).
pub fn control_api() -> (Registry, axum::Router) {
    let mut metrics_registry = prometheus_client::registry::Registry::default();
    let metrics = metrics::ProxyMetrics::register(&mut metrics_registry);
    let registry = Registry::new(metrics);
    let router = api::router(registry.clone(), Arc::new(metrics_registry));
    (registry, router)
}
