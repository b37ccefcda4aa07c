//! The storefront's pages, composed from one small router per part.

mod account;
mod assets;
mod browser_spans;
mod cart;
mod catalog;
mod control;
mod failure;
mod forms;
mod orders;

use std::sync::Arc;

use axum::Router;
use axum::http::header::{CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::telemetry::current_trace_id;

use crate::control::ControlPlane;
use crate::csrf::{self, Csrf};
use crate::desk::Desk;
use crate::pages::Frame;
use crate::shop::Shop;
use crate::visitor::Visitor;

pub use failure::{Failure, PageError};

/// What every page handler needs.
pub struct Storefront {
    pub shop: Shop,
    pub csrf: Csrf,
    /// chaos-proxy and Prometheus, for the control room.
    pub control: ControlPlane,
    /// The experiment desk: the catalogue, runs and load, for the control room.
    pub desk: Desk,
    /// The Jaeger UI, for each page's link to its own trace.
    pub jaeger_url: String,
    /// The Grafana UI, for the control room's links.
    pub grafana_url: String,
}

impl Storefront {
    /// The frame of a page served in the current request span.
    pub fn frame<'a>(&self, title: &'a str, search: Option<&'a str>, visitor: &Visitor) -> Frame<'a> {
        Frame {
            title,
            search,
            trace_url: self.trace_url(),
            signed_in: visitor.signed_in(),
            cart_units: visitor.cart.units(),
            csrf: self.csrf.token(&visitor.nonce),
            refresh_secs: None,
        }
    }

    /// This request's trace in Jaeger (only a sampled trace is exported).
    pub fn trace_url(&self) -> Option<String> {
        current_trace_id().map(|id| format!("{}/trace/{id}", self.jaeger_url))
    }

    /// Refuses a form that does not carry this browser's CSRF token.
    pub fn check_csrf(&self, visitor: &Visitor, token: &str) -> Result<(), PageError> {
        if self.csrf.verify(&visitor.nonce, token) {
            Ok(())
        } else {
            tracing::warn!("a form without this browser's CSRF token was refused");
            Err(self.fail(Failure::Forbidden(
                "This form has expired or did not come from this shop: reload the page and try again.".into(),
            )))
        }
    }

    /// The visitor's token, or a failure that sends them to log in.
    pub fn token<'v>(&self, visitor: &'v Visitor) -> Result<&'v str, PageError> {
        visitor.token.as_deref().ok_or_else(|| self.fail(Failure::SignInFirst))
    }
}

pub type State = Arc<Storefront>;

pub fn router(state: State) -> Router {
    Router::new()
        .merge(catalog::router())
        .merge(account::router())
        .merge(cart::router())
        .merge(orders::router())
        .merge(control::router())
        .merge(assets::router())
        .merge(browser_spans::router())
        .fallback(failure::no_such_page)
        .with_state(state)
        // Every browser gets its CSRF nonce on its first page.
        .layer(axum::middleware::from_fn(csrf::ensure_nonce))
        // Pages load nothing from elsewhere, are never framed, and keep
        // their URLs (search terms) to this origin.
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // A page with a policy of its own (a chaos report's inline styles) keeps it.
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// After a form: 303 to `to` (a reload does not post it again), with cookies.
pub fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/")));
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}
