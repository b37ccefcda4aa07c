//! `POST /telemetry/browser-spans`: the spans the pages' script reports
//! (`assets/trace.js`), exported as OpenTelemetry spans with the browser's
//! own ids and times, so that a click is the root of its trace. Checked
//! strictly: ids in W3C form, a name of at most 100 characters, times that
//! make sense; anything else is a 422 and no span.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use opentelemetry::trace::{Span as _, SpanId, SpanKind, TraceId, Tracer as _};
use opentelemetry::{Context, KeyValue};
use platform::telemetry::with_chosen_ids;
use platform::{ApiError, AppJson};
use serde::Deserialize;

use super::State;

/// A click's span is at most this long (the next page shown).
const MAX_DURATION: Duration = Duration::from_secs(60);
/// ... and reported within this long of its start.
const MAX_AGE: Duration = Duration::from_secs(600);

pub fn router() -> Router<State> {
    Router::new().route("/telemetry/browser-spans", post(report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportedSpan {
    trace_id: String,
    span_id: String,
    name: String,
    start_us: u64,
    end_us: u64,
    /// The page the click led to.
    page: String,
}

/// A reported span, parsed.
struct BrowserSpan {
    trace_id: TraceId,
    span_id: SpanId,
    name: String,
    start: SystemTime,
    end: SystemTime,
    page: String,
}

impl BrowserSpan {
    fn parse(raw: ReportedSpan, now: SystemTime) -> Result<Self, String> {
        let lower_hex =
            |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !lower_hex(&raw.trace_id, 32) || !lower_hex(&raw.span_id, 16) {
            return Err("trace_id and span_id are 32 and 16 lowercase hex digits".into());
        }
        let trace_id = TraceId::from_hex(&raw.trace_id).map_err(|e| e.to_string())?;
        let span_id = SpanId::from_hex(&raw.span_id).map_err(|e| e.to_string())?;
        if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
            return Err("all-zero ids are invalid".into());
        }
        if raw.name.is_empty() || raw.name.chars().count() > 100 || raw.page.chars().count() > 200 {
            return Err("name has 1 to 100 characters, page at most 200".into());
        }
        let start = UNIX_EPOCH + Duration::from_micros(raw.start_us);
        let end = UNIX_EPOCH + Duration::from_micros(raw.end_us);
        let duration = end.duration_since(start).map_err(|_| "the span ends before it starts".to_owned())?;
        let age = now.duration_since(start).unwrap_or_default();
        if duration > MAX_DURATION || age > MAX_AGE {
            return Err("the span is too long, or too old".into());
        }
        Ok(Self { trace_id, span_id, name: raw.name, start, end, page: raw.page })
    }

    /// Exports it through the process's tracer provider, as a root span.
    fn export(self) {
        let tracer = opentelemetry::global::tracer("browser");
        let builder = tracer
            .span_builder(format!("browser: {}", self.name))
            .with_kind(SpanKind::Client)
            .with_start_time(self.start)
            .with_attributes([KeyValue::new("browser", true), KeyValue::new("url.path", self.page)]);
        let mut span =
            with_chosen_ids(self.trace_id, self.span_id, || builder.start_with_context(&tracer, &Context::new()));
        span.end_with_timestamp(self.end);
    }
}

async fn report(AppJson(raw): AppJson<ReportedSpan>) -> Result<StatusCode, ApiError> {
    let span = BrowserSpan::parse(raw, SystemTime::now()).map_err(|m| ApiError::unprocessable("invalid_span", m))?;
    span.export();
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(trace_id: &str, start_us: u64, end_us: u64) -> ReportedSpan {
        ReportedSpan {
            trace_id: trace_id.into(),
            span_id: "00f067aa0ba902b7".into(),
            name: "click Add to cart".into(),
            start_us,
            end_us,
            page: "/cart".into(),
        }
    }

    #[test]
    fn a_span_is_taken_only_with_w3c_ids_and_sensible_times() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let at = 1_800_000_000_000_000 - 2_000_000; // 2 s ago, in µs
        let good = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert!(BrowserSpan::parse(reported(good, at, at + 150_000), now).is_ok());
        for bad in ["4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f35", "00000000000000000000000000000000"] {
            assert!(BrowserSpan::parse(reported(bad, at, at + 1), now).is_err(), "{bad}");
        }
        assert!(BrowserSpan::parse(reported(good, at, at - 1), now).is_err(), "ends before it starts");
        assert!(BrowserSpan::parse(reported(good, at, at + 61_000_000), now).is_err(), "longer than a minute");
        assert!(BrowserSpan::parse(reported(good, at - 700_000_000, at - 699_000_000), now).is_err(), "too old");
    }
}
