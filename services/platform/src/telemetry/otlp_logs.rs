//! Log records as the third OTLP signal: each event the JSON layer writes
//! is also handed to an OpenTelemetry logger, with the trace and span ids
//! of the span it happened in and the same resource as the spans, so a
//! collector can send it to a log store (Loki) where a trace finds its
//! logs and a log line its trace. The JSON line on stdout stays.
//!
//! Like spans, records go through a bounded queue to a background exporter:
//! a collector that is down costs records, never a request's time.

use std::time::{Duration, SystemTime};

use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider, Severity};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{BatchConfigBuilder, BatchLogProcessor, SdkLogger, SdkLoggerProvider};
use serde_json::Value;
use tracing::Level;

use super::logs::Line;

/// How many records may wait for export; beyond, new ones are dropped.
const MAX_QUEUED_RECORDS: usize = 8192;

/// The provider whose logger exports to `endpoint` (OTLP/gRPC). Must run
/// inside a Tokio runtime, as the tracer provider's.
pub fn logger_provider(resource: Resource, endpoint: &str) -> SdkLoggerProvider {
    let exporter = opentelemetry_otlp::LogExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.to_owned())
        .with_timeout(Duration::from_secs(3))
        .build()
        .expect("an OTLP log exporter with a valid endpoint");
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(MAX_QUEUED_RECORDS)
        .with_max_export_batch_size(512)
        .with_scheduled_delay(Duration::from_millis(500))
        .build();
    SdkLoggerProvider::builder()
        .with_resource(resource)
        .with_log_processor(BatchLogProcessor::builder(exporter).with_batch_config(batch).build())
        .build()
}

/// Sends events as OTLP log records.
pub struct OtlpLogs {
    logger: SdkLogger,
}

impl OtlpLogs {
    pub fn new(provider: &SdkLoggerProvider, service: &'static str) -> Self {
        Self { logger: provider.logger(service) }
    }

    pub fn emit(&self, event: &Line<'_>) {
        // The exporter's own events (tonic, hyper) must not feed back into it.
        if opentelemetry::Context::is_current_telemetry_suppressed() {
            return;
        }
        let mut record = self.logger.create_log_record();
        let now = SystemTime::now();
        record.set_timestamp(now);
        record.set_observed_timestamp(now);
        let (number, text) = severity(event.level);
        record.set_severity_number(number);
        record.set_severity_text(text);
        record.set_target(event.target.to_owned());
        record.set_body(any_value(event.message));
        // Span fields first: an event's own field of the same name wins.
        for (key, value) in
            event.span_fields.iter().copied().chain(event.fields.iter().map(|(key, value)| (*key, value)))
        {
            record.add_attribute(key, any_value(value));
        }
        if let Some(span) = event.span {
            record.add_attribute("span", span.to_owned());
        }
        if let Some(context) = event.span_context {
            record.set_trace_context(context.trace_id(), context.span_id(), Some(context.trace_flags()));
        }
        self.logger.emit(record);
    }
}

fn severity(level: &Level) -> (Severity, &'static str) {
    match *level {
        Level::TRACE => (Severity::Trace, "TRACE"),
        Level::DEBUG => (Severity::Debug, "DEBUG"),
        Level::INFO => (Severity::Info, "INFO"),
        Level::WARN => (Severity::Warn, "WARN"),
        Level::ERROR => (Severity::Error, "ERROR"),
    }
}

/// Numbers, booleans and strings keep their type; anything else is its JSON text.
fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::String(text) => AnyValue::from(text.clone()),
        Value::Bool(flag) => AnyValue::from(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => AnyValue::from(integer),
            None => AnyValue::from(number.as_f64().unwrap_or(f64::NAN)),
        },
        other => AnyValue::from(other.to_string()),
    }
}
