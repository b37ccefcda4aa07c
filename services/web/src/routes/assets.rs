//! The stylesheet, compiled into the binary: the pages load nothing from a CDN.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

use super::State;

const STYLESHEET: &str = include_str!("../../assets/shop.css");

pub fn router() -> Router<State> {
    Router::new().route("/static/shop.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}
