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
/// "Follow live" on the pages that reload themselves.
const LIVE_SCRIPT: &str = include_str!("../../assets/live.js");

pub fn router() -> Router<State> {
    Router::new()
        .route("/static/shop.css", get(stylesheet))
        .route("/static/trace.js", get(|| script(TRACE_SCRIPT)))
        .route("/static/live.js", get(|| script(LIVE_SCRIPT)))
}

async fn script(source: &'static str) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], source)
}

async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}
