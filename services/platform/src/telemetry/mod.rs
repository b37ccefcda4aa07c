//! Telemetry, set up once per process: JSON logs on stdout carrying the
//! trace and span ids; traces and log records exported over OTLP (gRPC) to
//! one endpoint, `OTEL_EXPORTER_OTLP_ENDPOINT` (a collector's, which fans
//! them out to Jaeger and Loki); W3C trace context in and out. With
//! `OTEL_TRACES_EXPORTER=none` spans are kept in the process: ids in logs
//! and exemplars all the same.
//!
//! Exporting never blocks a request: spans and records go through bounded
//! queues to background exporters; when the collector is down they are
//! dropped once a queue is full.

mod ids;
mod logs;
mod otlp_logs;
pub mod propagation;
mod traces;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use ids::with_chosen_ids;
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
    let resource = resource(service, &settings.environment);
    let provider = settings.traces.as_ref().map(|traces| tracer_provider(resource.clone(), traces));
    let otel_layer = provider.as_ref().map(|provider| spans_layer(provider, service));
    let log_provider = settings.logs_endpoint.as_deref().map(|endpoint| otlp_logs::logger_provider(resource, endpoint));
    let otlp_logs = log_provider.as_ref().map(|provider| otlp_logs::OtlpLogs::new(provider, service));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(otel_layer)
        .with(JsonLogLayer::new(service, make_writer).exporting(otlp_logs))
        .try_init();
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    // Also the global provider, for spans that are not `tracing` spans: the
    // browser's, which the storefront reports with their own ids and times.
    if let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    TracesGuard::new(provider, log_provider)
}

/// The layer that turns `tracing` spans into OpenTelemetry spans. Every
/// request pays for it, so it keeps to what a trace is read for: no thread
/// ids and names, source locations or busy/idle times as attributes of each
/// span, and only warnings and errors as span events. Nor does it make a
/// span's OpenTelemetry context current at every poll of the future it
/// instruments: our code asks `tracing`'s current span for it
/// (`OpenTelemetrySpanExt::context`), and no OpenTelemetry-native
/// instrumentation runs here that would read it. Events at info and
/// below are log lines and records already, with the span's trace id; as
/// span events they doubled each request's "request served" line in every
/// exported span.
fn spans_layer<S>(provider: &SdkTracerProvider, service: &'static str) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span> + Send + Sync,
{
    use opentelemetry::trace::TracerProvider;
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service))
        .with_threads(false)
        .with_location(false)
        .with_tracked_inactivity(false)
        .with_context_activation(false)
        .with_filter(filter_fn(|metadata| metadata.is_span() || *metadata.level() <= Level::WARN))
        .boxed()
}

/// What every span and log record of this process says about its source.
fn resource(service: &'static str, environment: &str) -> Resource {
    Resource::builder()
        .with_service_name(service)
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("deployment.environment", environment.to_owned()),
        ])
        .build()
}
