//! Structured logs: one JSON object per line on stdout, with the service's
//! name, the event's fields, the fields of the spans it happened in
//! (request id, route, method ...) and, inside a traced span, `trace_id` and
//! `span_id`, so that a log line can be found from a trace and the reverse;
//! and, when log export is on, the same event as an OTLP log record
//! (`otlp_logs.rs`), read once for both.

use std::fmt::Debug;
use std::io::Write;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Id, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::otlp_logs::{self, OtlpLogs};

/// A `tracing` layer that writes each event as one JSON object (and sends
/// it as an OTLP log record when given a logger).
pub struct JsonLogLayer<W> {
    service: &'static str,
    make_writer: W,
    otlp: Option<OtlpLogs>,
}

impl<W> JsonLogLayer<W> {
    pub fn new(service: &'static str, make_writer: W) -> Self {
        Self { service, make_writer, otlp: None }
    }

    /// Also sends every event as an OTLP log record.
    pub(super) fn exporting(mut self, otlp: Option<OtlpLogs>) -> Self {
        self.otlp = otlp;
        self
    }
}

/// The fields recorded on a span, kept in the span's extensions.
struct SpanFields(Map<String, Value>);

impl<S, W> Layer<S> for JsonLogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = JsonVisitor::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
                let mut visitor = JsonVisitor(std::mem::take(fields));
                values.record(&mut visitor);
                *fields = visitor.0;
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        let mut fields = visitor.0;
        let message = fields.remove("message").unwrap_or(Value::String(String::new()));

        let mut line = Map::new();
        line.insert("timestamp".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("service".into(), self.service.into());
        line.insert("target".into(), event.metadata().target().into());
        line.insert("message".into(), message);
        if !fields.is_empty() {
            line.insert("fields".into(), Value::Object(fields));
        }
        let mut span_fields = Map::new();
        let mut leaf_name = None;
        let mut span_context = None;
        if let Some(scope) = ctx.event_scope(event) {
            // Root first, so that inner spans override outer fields of the same name.
            let mut leaf_id = None;
            for span in scope.from_root() {
                leaf_name = Some(span.name());
                leaf_id = Some(span.id());
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    span_fields.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            span_context = leaf_id.and_then(|id| otel_span_context(&id));
        }
        if let Some(name) = leaf_name {
            line.insert("span".into(), name.into());
        }
        if let Some(context) = &span_context {
            line.insert("trace_id".into(), context.trace_id().to_string().into());
            line.insert("span_id".into(), context.span_id().to_string().into());
        }
        if let Some(otlp) = &self.otlp {
            otlp.emit(otlp_logs::Event {
                level: event.metadata().level(),
                target: event.metadata().target(),
                message: &line["message"],
                fields: line.get("fields").and_then(Value::as_object).unwrap_or(&Map::new()),
                span: leaf_name,
                span_fields: &span_fields,
                span_context: span_context.as_ref(),
            });
        }
        if !span_fields.is_empty() {
            line.insert("span_fields".into(), Value::Object(span_fields));
        }

        let mut bytes = serde_json::to_vec(&Value::Object(line)).unwrap_or_default();
        bytes.push(b'\n');
        // A failing stdout must not take the request down with it.
        let _ = self.make_writer.make_writer().write_all(&bytes);
    }
}

/// The OpenTelemetry span context of a span, when an OpenTelemetry layer
/// tracks it.
fn otel_span_context(id: &Id) -> Option<opentelemetry::trace::SpanContext> {
    use opentelemetry::trace::TraceContextExt;
    let context = tracing::dispatcher::get_default(|dispatch| tracing_opentelemetry::get_otel_context(id, dispatch))?;
    let span = context.span();
    let span_context = span.span_context();
    span_context.is_valid().then(|| span_context.clone())
}

/// Collects `tracing` fields as JSON values, keeping numbers and booleans typed.
#[derive(Default)]
struct JsonVisitor(Map<String, Value>);

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.0.insert(field.name().into(), text.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    // The tests' log capture (the lib is built with `test-util` for its tests).
    use crate::test_util::CapturedLogs as Captured;

    #[test]
    fn each_event_is_one_json_line_with_its_span_fields() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLogLayer::new("catalog", captured.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "r-1", route = tracing::field::Empty);
            let _entered = span.enter();
            span.record("route", "/api/v1/products");
            tracing::info!(count = 3, ok = true, "listed products");
        });
        let text = captured.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1);
        let line: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["service"], "catalog");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "listed products");
        assert_eq!(line["fields"]["count"], 3);
        assert_eq!(line["fields"]["ok"], true);
        assert_eq!(line["span"], "request");
        assert_eq!(line["span_fields"]["request_id"], "r-1");
        assert_eq!(line["span_fields"]["route"], "/api/v1/products");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
