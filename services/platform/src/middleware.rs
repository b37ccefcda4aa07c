//! The server-side middleware every service runs, as small functions that
//! `server::Service` stacks in a fixed order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::error::{ApiError, code_for_status, error_response};
use crate::metrics::{HttpServerLabels, HttpServerMetrics, TraceExemplar};
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Opens the request's span, and on the way out records its duration and logs
/// one line per request (operational endpoints at debug level only).
pub async fn observe_request(State(metrics): State<HttpServerMetrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id =
        request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // Span name and attributes after the OpenTelemetry HTTP conventions.
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method.as_str(),
        http.route = route.as_str(),
        url.path = request.uri().path(),
        request_id = request_id.as_str(),
        shop.service = metrics.service,
        http.response.status_code = tracing::field::Empty,
    );
    // Continue the caller's trace when it sent a `traceparent`.
    let _ = span.set_parent(crate::telemetry::propagation::extract_http(request.headers()));

    metrics.active_requests.inc();
    let response = next.run(request).instrument(span.clone()).await;
    metrics.active_requests.dec();

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let exemplar = span.in_scope(TraceExemplar::current);
    metrics
        .request_duration
        .get_or_create(&HttpServerLabels {
            http_request_method: method,
            http_route: route.clone(),
            http_response_status_code: status,
        })
        .observe(elapsed.as_secs_f64(), exemplar, None);

    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    let _entered = span.enter();
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    if matches!(route.as_str(), "/health" | "/ready" | "/metrics") {
        tracing::debug!(status, duration_ms, "request served");
    } else if status >= 500 {
        tracing::warn!(status, duration_ms, "request served");
    } else {
        tracing::info!(status, duration_ms, "request served");
    }
    response
}

/// Sheds requests beyond the concurrency limit with an immediate 503, so that
/// overload shows as fast refusals instead of ever-growing latency.
pub async fn shed_load(State(permits): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    match permits.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::Overloaded.into_response(),
    }
}

/// Bounds a request's handling time; the handler's future is dropped at the
/// deadline and the client gets 504 in the JSON error shape.
pub async fn limit_time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// A `traceparent` in the query string becomes the request's header (when
/// it has none), for clients that cannot set headers: a browser following a
/// link or posting a form (the storefront's pages put the browser's span id
/// there). Opt-in per service ([`crate::server::Service::trace_context_from_query`]).
pub async fn traceparent_from_query(mut request: Request, next: Next) -> Response {
    if !request.headers().contains_key("traceparent")
        && let Some(value) = request
            .uri()
            .query()
            .into_iter()
            .flat_map(|query| query.split('&'))
            .find_map(|pair| pair.strip_prefix("traceparent="))
        && let Ok(value) = HeaderValue::from_str(value)
    {
        request.headers_mut().insert("traceparent", value);
    }
    next.run(request).await
}

/// Gives every error answer the JSON error shape, also those produced
/// outside our handlers (405 from the router, 413 from a body limit ...).
/// An HTML page is left as it is: it is the storefront's page saying what
/// went wrong, for a person rather than a program.
pub async fn ensure_json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let shaped = content_type.is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || shaped {
        return response;
    }
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let (mut parts, _) = response.into_parts();
    let replacement = error_response(status, code_for_status(status), message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, replacement.into_body())
}

/// The answer for a panic inside a handler: logged, then an opaque 500.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    error_response(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
}

/// 404 for any path no route matches.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
