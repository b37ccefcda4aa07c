//! Why a page is not shown, as the page that says so.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::Storefront;
use crate::pages::Frame;
use crate::pages::error::error_page;
use crate::shop::ShopError;

/// What went wrong for the browser's request, with the trace to look at.
pub struct PageError {
    kind: Failure,
    trace_url: Option<String>,
}

pub enum Failure {
    /// The browser asked for something malformed (a query it made up).
    BadRequest(String),
    NotFound(String),
    Shop(ShopError),
}

impl From<ShopError> for Failure {
    fn from(error: ShopError) -> Self {
        Failure::Shop(error)
    }
}

impl Storefront {
    /// A failure of the current request, linked to its trace.
    pub fn fail(&self, kind: impl Into<Failure>) -> PageError {
        PageError { kind: kind.into(), trace_url: self.trace_url() }
    }
}

/// Any other path: the shop's 404 page, not the API's JSON.
pub async fn no_such_page(axum::extract::State(state): axum::extract::State<super::State>) -> PageError {
    state.fail(Failure::NotFound("There is no such page.".into()))
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, detail) = match self.kind {
            Failure::BadRequest(reason) => (StatusCode::BAD_REQUEST, "That request is not one we understand", reason),
            Failure::NotFound(what) => (StatusCode::NOT_FOUND, "Not found", what),
            Failure::Shop(ShopError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, "the shop did not answer a page");
                (StatusCode::SERVICE_UNAVAILABLE, "The shop is unavailable", "Please try again in a moment.".into())
            }
            Failure::Shop(error @ ShopError::Unexpected { .. }) => {
                tracing::error!(error = %error, "the shop gave an answer the storefront does not understand");
                (StatusCode::BAD_GATEWAY, "Something went wrong", "The shop gave an answer we could not use.".into())
            }
        };
        let frame = Frame { title: heading, search: None, trace_url: self.trace_url };
        (status, Html(error_page(&frame, heading, &detail).into_string())).into_response()
    }
}
