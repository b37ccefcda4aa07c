//! `/metrics` for Prometheus, on its own small server beside the load.

use std::net::SocketAddr;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

use super::LiveMetrics;

/// Serves `live` on `address` until the process ends; the address it got
/// (port 0 picks one).
pub async fn serve(live: &'static LiveMetrics, address: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let router = Router::new().route(
        "/metrics",
        get(move || async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], live.render()) }),
    );
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router.into_make_service()).await {
            eprintln!("shop-load: the /metrics server stopped: {error}");
        }
    });
    Ok(bound)
}
