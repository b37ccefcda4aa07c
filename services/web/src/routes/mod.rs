//! The storefront's pages, composed from one small router per part.

mod assets;
mod catalog;
mod failure;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::response::Response;
use platform::telemetry::current_trace_id;

use crate::pages::Frame;
use crate::shop::Shop;

pub use failure::PageError;

/// What every page handler needs.
pub struct Storefront {
    pub shop: Shop,
    /// The Jaeger UI, for each page's link to its own trace.
    pub jaeger_url: String,
}

impl Storefront {
    /// The frame of a page served in the current request span.
    pub fn frame<'a>(&self, title: &'a str, search: Option<&'a str>) -> Frame<'a> {
        Frame { title, search, trace_url: self.trace_url() }
    }

    /// This request's trace in Jaeger (only a sampled trace is exported).
    pub fn trace_url(&self) -> Option<String> {
        current_trace_id().map(|id| format!("{}/trace/{id}", self.jaeger_url))
    }
}

pub type State = Arc<Storefront>;

pub fn router(state: State) -> Router {
    Router::new()
        .merge(catalog::router())
        .merge(assets::router())
        .fallback(failure::no_such_page)
        .with_state(state)
        // Pages load nothing from elsewhere, are never framed, and keep
        // their URLs (search terms) to this origin.
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
