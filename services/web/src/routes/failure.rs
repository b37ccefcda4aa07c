//! Why a page is not shown, as the page that says so.

use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{Storefront, see_other};
use crate::pages::error::error_page;
use crate::pages::{Frame, page};
use crate::shop::ShopError;
use crate::visitor::{SESSION, clear_cookie};

/// What went wrong for the browser's request, with the trace to look at.
pub struct PageError {
    kind: Failure,
    trace_url: Option<String>,
}

pub enum Failure {
    /// The browser asked for something malformed (a query or form it made up).
    BadRequest(String),
    /// A form without this browser's CSRF token.
    Forbidden(String),
    NotFound(String),
    /// The page is the visitor's own (orders, notifications, checkout):
    /// log in first; an expired session is forgotten on the way.
    SignInFirst,
    Shop(ShopError),
    /// chaos-proxy or Prometheus failed the control room's action.
    Control(crate::control::ControlError),
}

impl From<ShopError> for Failure {
    fn from(error: ShopError) -> Self {
        if error.is_unauthorized() { Failure::SignInFirst } else { Failure::Shop(error) }
    }
}

impl From<FormRejection> for Failure {
    fn from(rejection: FormRejection) -> Self {
        Failure::BadRequest(rejection.body_text())
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
            Failure::SignInFirst => return see_other("/login", &[clear_cookie(SESSION)]),
            Failure::BadRequest(reason) => (StatusCode::BAD_REQUEST, "That request is not one we understand", reason),
            Failure::Forbidden(reason) => (StatusCode::FORBIDDEN, "Refused", reason),
            Failure::NotFound(what) => (StatusCode::NOT_FOUND, "Not found", what),
            Failure::Shop(ShopError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, "the shop did not answer a page");
                (StatusCode::SERVICE_UNAVAILABLE, "The shop is unavailable", "Please try again in a moment.".into())
            }
            Failure::Shop(ShopError::Refused { status, message, .. }) => {
                (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), "Refused", message)
            }
            Failure::Control(crate::control::ControlError::Refused { status, message }) => {
                (StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT), "Refused", message)
            }
            Failure::Control(error) => {
                tracing::warn!(error = %error, "a control room action failed");
                (StatusCode::BAD_GATEWAY, "The action did not go through", error.to_string())
            }
            Failure::Shop(error @ ShopError::Unexpected { .. }) => {
                tracing::error!(error = %error, "the shop gave an answer the storefront does not understand");
                (StatusCode::BAD_GATEWAY, "Something went wrong", "The shop gave an answer we could not use.".into())
            }
        };
        let frame = Frame {
            title: heading,
            search: None,
            trace_url: self.trace_url,
            signed_in: false,
            cart_units: 0,
            csrf: String::new(),
            refresh_secs: None,
        };
        (status, Html(error_page(&frame, heading, &detail).into_string())).into_response()
    }
}

/// A page of its own with its frame: the common end of every GET handler.
pub fn render(frame: &Frame<'_>, content: maud::Markup) -> Html<String> {
    Html(page(frame, content).into_string())
}
