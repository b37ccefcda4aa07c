//! Structured logs: one JSON object per line on stdout, with the service's
//! name, the event's fields, the fields of the spans it happened in
//! (request id, route, method ...) and, inside a traced span, `trace_id` and
//! `span_id`, so that a log line can be found from a trace and the reverse;
//! and, when log export is on, the same event as an OTLP log record
//! (`otlp_logs.rs`), read once for both.

use std::cell::RefCell;
use std::fmt::Debug;
use std::io::Write;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Id, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::otlp_logs::OtlpLogs;

/// A `tracing` layer that writes each event as one JSON object (and sends
/// it as an OTLP log record when given a logger).
///
/// It runs on every request (one line per request served), so it writes the
/// line straight into a reused per-thread buffer: field names are the
/// `&'static str`s `tracing` gives, span fields are borrowed from the spans,
/// not copied into a map first.
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

/// Fields by name, in the order they were first recorded.
type Fields = Vec<(&'static str, Value)>;

/// The fields recorded on a span, kept in the span's extensions.
struct SpanFields(Fields);

thread_local! {
    /// The line being written; its capacity is kept between events.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl<S, W> Layer<S> for JsonLogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = JsonVisitor(Vec::with_capacity(attrs.fields().len()));
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
        let message = match fields.iter().position(|(name, _)| *name == "message") {
            Some(at) => fields.remove(at).1,
            None => Value::String(String::new()),
        };

        // Innermost span first; its guards keep the span fields borrowed.
        let spans: Vec<_> = ctx.event_scope(event).map(|scope| scope.collect()).unwrap_or_default();
        let extensions: Vec<_> = spans.iter().map(|span| span.extensions()).collect();
        // An inner span's field hides an outer one's of the same name.
        let mut span_fields: Vec<(&'static str, &Value)> = Vec::new();
        for fields in extensions.iter().filter_map(|e| e.get::<SpanFields>()) {
            for (name, value) in &fields.0 {
                if !span_fields.iter().any(|(seen, _)| seen == name) {
                    span_fields.push((name, value));
                }
            }
        }
        let leaf = spans.first();
        let span_context = leaf.and_then(|span| otel_span_context(&span.id()));
        let line = Line {
            level: event.metadata().level(),
            service: self.service,
            target: event.metadata().target(),
            message: &message,
            fields: &fields,
            span: leaf.map(|span| span.name()),
            span_fields: &span_fields,
            span_context: span_context.as_ref(),
        };
        if let Some(otlp) = &self.otlp {
            otlp.emit(&line);
        }
        LINE.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut buffer) => self.write(&line, &mut buffer),
            // Only if writing a line logged something itself.
            Err(_) => self.write(&line, &mut Vec::new()),
        });
    }
}

impl<W> JsonLogLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn write(&self, line: &Line<'_>, buffer: &mut Vec<u8>) {
        buffer.clear();
        if line.serialize(&mut serde_json::Serializer::new(&mut *buffer)).is_err() {
            return;
        }
        buffer.push(b'\n');
        // A failing stdout must not take the request down with it.
        let _ = self.make_writer.make_writer().write_all(buffer);
    }
}

/// One event, read once for the JSON line and the OTLP record.
pub(super) struct Line<'a> {
    pub level: &'a tracing::Level,
    pub service: &'static str,
    pub target: &'a str,
    pub message: &'a Value,
    pub fields: &'a [(&'static str, Value)],
    /// The innermost span's name.
    pub span: Option<&'static str>,
    pub span_fields: &'a [(&'static str, &'a Value)],
    pub span_context: Option<&'a opentelemetry::trace::SpanContext>,
}

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        map.serialize_entry("timestamp", &timestamp)?;
        map.serialize_entry("level", self.level.as_str())?;
        map.serialize_entry("service", self.service)?;
        map.serialize_entry("target", self.target)?;
        map.serialize_entry("message", self.message)?;
        if !self.fields.is_empty() {
            map.serialize_entry("fields", &AsMap(self.fields))?;
        }
        if let Some(name) = self.span {
            map.serialize_entry("span", name)?;
        }
        if let Some(context) = self.span_context {
            map.serialize_entry("trace_id", &format_args!("{}", context.trace_id()))?;
            map.serialize_entry("span_id", &format_args!("{}", context.span_id()))?;
        }
        if !self.span_fields.is_empty() {
            map.serialize_entry("span_fields", &AsMap(self.span_fields))?;
        }
        map.end()
    }
}

/// Name/value pairs written as a JSON object.
struct AsMap<'a, V>(&'a [(&'static str, V)]);

impl<V: Serialize> Serialize for AsMap<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
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

/// Collects `tracing` fields as JSON values, keeping numbers and booleans
/// typed; a field recorded again replaces its value. `otel.*` fields (a
/// span's OpenTelemetry name, kind and status) are for the tracer, not the
/// log line, which has the span's name already.
#[derive(Default)]
struct JsonVisitor(Fields);

impl JsonVisitor {
    fn set(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name.starts_with("otel.") {
            return;
        }
        match self.0.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, old)) => *old = value,
            None => self.0.push((name, value)),
        }
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field, value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.set(field, crate::error::with_causes(value).into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.set(field, format!("{value:?}").into());
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
            let span =
                tracing::info_span!("request", otel.kind = "server", request_id = "r-1", route = tracing::field::Empty);
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
        assert!(line["span_fields"].get("otel.kind").is_none(), "the tracer's fields stay out of the log line");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn an_inner_span_s_field_hides_an_outer_one_and_a_field_recorded_again_keeps_its_last_value() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLogLayer::new("orders", captured.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("request", request_id = "r-1", step = "outer", attempt = 1);
            let _outer = outer.enter();
            let inner = tracing::info_span!("call", step = "inner", peer = "payments");
            let _inner = inner.enter();
            outer.record("attempt", 2);
            tracing::warn!(error = "refused", "call failed");
        });
        let line: Value = serde_json::from_str(captured.text().trim()).unwrap();
        assert_eq!(line["span"], "call");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"], serde_json::json!({"error": "refused"}));
        assert_eq!(
            line["span_fields"],
            serde_json::json!({"step": "inner", "peer": "payments", "request_id": "r-1", "attempt": 2})
        );
    }

    #[test]
    fn an_event_outside_any_span_has_no_span_keys() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLogLayer::new("users", captured.clone()));
        tracing::subscriber::with_default(subscriber, || tracing::info!("listening"));
        let line: Value = serde_json::from_str(captured.text().trim()).unwrap();
        let mut keys: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["level", "message", "service", "target", "timestamp"]);
    }
}
