//! Telemetry, set up once per process: JSON logs on stdout carrying the
//! trace and span ids, and traces exported over OTLP (gRPC) to
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or, with `OTEL_TRACES_EXPORTER=none`,
//! kept in the process: ids in logs and exemplars all the same), W3C trace
//! context in and out.
//!
//! Exporting never blocks a request: spans go through a bounded queue to a
//! background exporter; when the collector is down they are dropped once
//! the queue is full.

mod logs;
pub mod propagation;
mod traces;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use logs::JsonLogLayer;
pub use traces::{TracesGuard, current_trace_id, tracer_provider};

use crate::config::TelemetrySettings;

/// Installs the global subscriber (logs and, unless disabled, traces) with
/// logs on stdout. Keep the guard alive: dropping it flushes the spans still
/// queued. A second call (tests) leaves the first subscriber in place.
pub fn init_telemetry(service: &'static str, settings: &TelemetrySettings) -> TracesGuard {
    init_telemetry_with_writer(service, settings, std::io::stdout)
}

/// `init_telemetry`, with the JSON log lines going to `make_writer` (tests
/// capture them).
pub fn init_telemetry_with_writer<W>(service: &'static str, settings: &TelemetrySettings, make_writer: W) -> TracesGuard
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let provider = settings.traces.as_ref().map(|traces| tracer_provider(service, traces));
    let otel_layer = provider.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider;
        tracing_opentelemetry::layer().with_tracer(provider.tracer(service)).boxed()
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(otel_layer)
        .with(JsonLogLayer::new(service, make_writer))
        .try_init();
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    TracesGuard::new(provider)
}
