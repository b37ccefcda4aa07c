//! The tracer provider: sampled spans, exported over OTLP/gRPC (batched,
//! bounded) unless export is off; then they live in the process only, for
//! the trace ids of log lines and exemplars.

use std::time::Duration;

use opentelemetry::trace::TraceContextExt;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::TracesSettings;

/// How many finished spans may wait for export; beyond, new ones are dropped
/// (a collector outage costs spans, never memory or latency).
const MAX_QUEUED_SPANS: usize = 4096;

/// Builds the provider. Must run inside a Tokio runtime (the gRPC channel
/// lives on it); the channel connects lazily, so a collector that is down
/// at start-up is not an error.
pub fn tracer_provider(resource: Resource, settings: &TracesSettings) -> SdkTracerProvider {
    let mut provider = SdkTracerProvider::builder();
    if let Some(endpoint) = &settings.endpoint {
        provider = provider.with_span_processor(exporting(endpoint));
    }
    provider
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(settings.sampling_ratio))))
        .with_id_generator(super::ids::Ids::default())
        .with_resource(resource)
        .build()
}

/// The batch processor that sends finished spans to `endpoint`.
fn exporting(endpoint: &str) -> BatchSpanProcessor {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.to_owned())
        .with_timeout(Duration::from_secs(3))
        .build()
        .expect("an OTLP exporter with a valid endpoint");
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(MAX_QUEUED_SPANS)
        .with_max_export_batch_size(512)
        .with_scheduled_delay(Duration::from_millis(500))
        .build();
    BatchSpanProcessor::builder(exporter).with_batch_config(batch).build()
}

/// Flushes queued spans and log records when dropped (at shutdown).
pub struct TracesGuard {
    traces: Option<SdkTracerProvider>,
    logs: Option<SdkLoggerProvider>,
}

impl TracesGuard {
    pub(super) fn new(traces: Option<SdkTracerProvider>, logs: Option<SdkLoggerProvider>) -> Self {
        Self { traces, logs }
    }

    /// Exports every finished span and every log record now (tests, and
    /// before a planned exit).
    pub fn flush(&self) {
        if let Some(provider) = &self.traces {
            let _ = provider.force_flush();
        }
        if let Some(provider) = &self.logs {
            let _ = provider.force_flush();
        }
    }
}

impl Drop for TracesGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.traces.take() {
            let _ = provider.shutdown();
        }
        if let Some(provider) = self.logs.take() {
            let _ = provider.shutdown();
        }
    }
}

/// The trace id of the current span, when it is sampled (for exemplars).
pub fn current_trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    (span_context.is_valid() && span_context.is_sampled()).then(|| span_context.trace_id().to_string())
}
