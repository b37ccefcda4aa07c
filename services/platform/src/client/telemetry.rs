//! The outermost layer of the client stack: one client span per call (over
//! all its attempts), after the OpenTelemetry HTTP client conventions, whose
//! context travels in the `traceparent` header so that the server's span
//! becomes its child; the call's duration in
//! `http_client_request_duration_seconds` (with the trace as exemplar); its
//! outcome in `resilience_calls_total`.

use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::resilience::ResilienceMetrics;
use super::{Call, CallError};
use crate::metrics::{HttpClientLabels, HttpClientMetrics, TraceExemplar};

#[derive(Clone)]
pub struct TelemetryLayer {
    dependency: &'static str,
    metrics: HttpClientMetrics,
    resilience: ResilienceMetrics,
}

impl TelemetryLayer {
    pub fn new(dependency: &'static str, metrics: HttpClientMetrics, resilience: ResilienceMetrics) -> Self {
        Self { dependency, metrics, resilience }
    }
}

impl<S> tower::Layer<S> for TelemetryLayer {
    type Service = Telemetry<S>;

    fn layer(&self, inner: S) -> Telemetry<S> {
        Telemetry { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub struct Telemetry<S> {
    inner: S,
    layer: TelemetryLayer,
}

impl<S> tower::Service<Call> for Telemetry<S>
where
    S: tower::Service<Call, Response = reqwest::Response, Error = CallError>,
    S::Future: Send + 'static,
{
    type Response = reqwest::Response;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<reqwest::Response, CallError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut call: Call) -> Self::Future {
        let dependency = self.layer.dependency;
        let span = tracing::info_span!(
            "http.client",
            otel.name = %call.method,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %call.method,
            peer.service = dependency,
            url.path = %call.path_and_query.split('?').next().unwrap_or_default(),
            server.address = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
        );
        crate::telemetry::propagation::inject_http(&span.context(), &mut call.headers);
        let method = call.method.to_string();
        let started = Instant::now();
        // Inner layers run inside the span: the attempt records the instance.
        let future = span.in_scope(|| self.inner.call(call)).instrument(span.clone());
        let layer = self.layer.clone();
        Box::pin(async move {
            let result = future.await;
            let status = result.as_ref().map_or(0, |r| r.status().as_u16());
            span.record("http.response.status_code", status);
            if status == 0 || status >= 500 {
                span.record("otel.status_code", "ERROR");
            }
            let exemplar = span.in_scope(TraceExemplar::current);
            let labels = HttpClientLabels {
                peer_service: dependency.to_owned(),
                http_request_method: method,
                http_response_status_code: status,
            };
            layer.metrics.request_duration.get_or_create(&labels).observe(
                started.elapsed().as_secs_f64(),
                exemplar,
                None,
            );
            layer.resilience.outcome(dependency, outcome_label(&result));
            result
        })
    }
}

/// The call's outcome as `resilience_calls_total` labels it.
fn outcome_label(result: &Result<reqwest::Response, CallError>) -> &'static str {
    match result {
        Ok(response) if response.status().is_server_error() => "failure",
        Ok(_) => "success",
        Err(CallError::Timeout { .. }) => "timeout",
        Err(CallError::CircuitOpen { .. }) => "rejected_by_breaker",
        Err(CallError::BulkheadFull { .. }) => "rejected_by_bulkhead",
        Err(_) => "failure",
    }
}
