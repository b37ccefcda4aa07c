//! The service's Prometheus registry and the HTTP server metrics every
//! service records, named after the OpenTelemetry semantic conventions.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Seconds; fine enough at the low end for in-process calls, wide enough for
/// a request held up by timeouts.
pub const LATENCY_BUCKETS: [f64; 14] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpServerLabels {
    pub http_request_method: String,
    /// The route template (`/api/v1/products/{id}`), never the raw path, so
    /// that the number of series stays bounded.
    pub http_route: String,
    pub http_response_status_code: u16,
}

/// The exemplar attached to latency observations: the trace that made it,
/// so a dashboard can jump from a slow bucket to that request's trace.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TraceExemplar {
    pub trace_id: String,
}

impl TraceExemplar {
    /// The current span's trace, if it is sampled.
    pub fn current() -> Option<Self> {
        crate::telemetry::current_trace_id().map(|trace_id| Self { trace_id })
    }
}

/// A latency histogram with trace exemplars.
pub type LatencyHistogram = HistogramWithExemplars<TraceExemplar>;

pub fn latency_histogram() -> LatencyHistogram {
    HistogramWithExemplars::new(LATENCY_BUCKETS.into_iter())
}

/// Server-side request metrics.
#[derive(Clone)]
pub struct HttpServerMetrics {
    pub request_duration: Family<HttpServerLabels, LatencyHistogram>,
    pub active_requests: Gauge,
    /// Also put on server spans (`shop.service`): in one process running
    /// several services (tests, benchmarks) it tells their spans apart.
    pub service: &'static str,
}

impl HttpServerMetrics {
    pub fn register(registry: &mut Registry, service: &'static str) -> Self {
        let request_duration = Family::<HttpServerLabels, LatencyHistogram>::new_with_constructor(latency_histogram);
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
        Self { request_duration, active_requests, service }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpClientLabels {
    /// The dependency called (its configured name, e.g. `payments`).
    pub peer_service: String,
    pub http_request_method: String,
    /// The answer's status, or `0` when there was none (refused, timed out).
    pub http_response_status_code: u16,
}

/// Client-side request metrics, per dependency.
#[derive(Clone)]
pub struct HttpClientMetrics {
    pub request_duration: Family<HttpClientLabels, LatencyHistogram>,
}

impl HttpClientMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let request_duration = Family::<HttpClientLabels, LatencyHistogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_client_request_duration_seconds",
            "Duration of HTTP client requests, per dependency",
            request_duration.clone(),
        );
        Self { request_duration }
    }

    /// Unregistered metrics (clients built outside a service, e.g. tools).
    pub fn detached() -> Self {
        Self { request_duration: Family::new_with_constructor(latency_histogram) }
    }
}

/// A registry whose every series carries `service="<name>"`.
pub fn service_registry(service: &'static str) -> Registry {
    Registry::with_labels(std::iter::once((std::borrow::Cow::Borrowed("service"), std::borrow::Cow::Borrowed(service))))
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
