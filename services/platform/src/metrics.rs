//! The service's Prometheus registry and the HTTP server metrics every
//! service records, named after the OpenTelemetry semantic conventions.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Seconds; fine enough at the low end for in-process calls, wide enough for
/// a request held up by timeouts.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpServerLabels {
    pub http_request_method: String,
    /// The route template (`/api/v1/products/{id}`), never the raw path, so
    /// that the number of series stays bounded.
    pub http_route: String,
    pub http_response_status_code: u16,
}

/// Server-side request metrics.
#[derive(Clone)]
pub struct HttpServerMetrics {
    pub request_duration: Family<HttpServerLabels, Histogram>,
    pub active_requests: Gauge,
}

impl HttpServerMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let request_duration = Family::<HttpServerLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        registry.register(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests",
            request_duration.clone(),
        );
        let active_requests = Gauge::default();
        registry.register(
            "http_server_active_requests",
            "Number of HTTP server requests in flight",
            active_requests.clone(),
        );
        Self {
            request_duration,
            active_requests,
        }
    }
}

/// A registry whose every series carries `service="<name>"`.
pub fn service_registry(service: &'static str) -> Registry {
    Registry::with_labels(std::iter::once((
        std::borrow::Cow::Borrowed("service"),
        std::borrow::Cow::Borrowed(service),
    )))
}

/// The finished registry, shared by the `/metrics` handler.
#[derive(Clone)]
pub struct MetricsEndpoint(pub Arc<Registry>);

impl MetricsEndpoint {
    /// OpenMetrics text exposition of every registered metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.0).expect("writing to a String cannot fail");
        out
    }
}
