//! The stylesheet and the tracing script, compiled into the binary: the
//! pages load nothing from a CDN.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

use super::State;

const STYLESHEET: &str = include_str!("../../assets/shop.css");
/// The browser's spans (see the script's own comment).
const TRACE_SCRIPT: &str = include_str!("../../assets/trace.js");

pub fn router() -> Router<State> {
    Router::new().route("/static/shop.css", get(stylesheet)).route("/static/trace.js", get(trace_script))
}

async fn trace_script() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], TRACE_SCRIPT)
}

async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}
