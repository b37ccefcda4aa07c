//! Forwarding a client's request to one instance of a service and its answer
//! back, minus hop-by-hop headers. Bodies are bounded by the server's limit.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use platform::ApiError;
use platform::client::{Call, ServiceClient};

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1),
/// plus those the client library sets itself.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::HOST,
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove(header::CONTENT_LENGTH);
}

/// Sends `request` (path and query unchanged) to an instance of `upstream`.
/// The access token stays at the edge: services get the verified identity
/// headers instead, and never see a bearer token to log or replay.
pub async fn forward(
    upstream: &ServiceClient,
    request: Request,
    max_body: usize,
) -> Result<reqwest::Response, ApiError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, max_body).await.map_err(|_| ApiError::Rejected {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "payload_too_large",
        message: format!("request bodies are limited to {max_body} bytes"),
    })?;
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    headers.remove(header::AUTHORIZATION);
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let call = Call { method: parts.method, path_and_query, headers, body: (!body.is_empty()).then_some(body) };
    Ok(upstream.send(call).await?)
}

/// Streams an upstream answer back to the client.
pub fn stream_back(upstream: reqwest::Response) -> Response {
    // Taken apart, not copied: the headers move over as they are.
    let (mut parts, body) = axum::http::Response::from(upstream).into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Response::from_parts(parts, Body::new(body))
}

/// An upstream answer read whole, for caching.
#[derive(Debug, Clone)]
pub struct BufferedResponse {
    pub status: StatusCode,
    pub content_type: Option<axum::http::HeaderValue>,
    pub body: Bytes,
}

impl BufferedResponse {
    pub async fn read(upstream: reqwest::Response) -> Result<Self, ApiError> {
        let status = upstream.status();
        let content_type = upstream.headers().get(header::CONTENT_TYPE).cloned();
        let body =
            upstream.bytes().await.map_err(|e| ApiError::Internal(anyhow::anyhow!("upstream body unreadable: {e}")))?;
        Ok(Self { status, content_type, body })
    }

    pub fn to_response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        if let Some(content_type) = &self.content_type {
            response.headers_mut().insert(header::CONTENT_TYPE, content_type.clone());
        }
        response
    }
}
