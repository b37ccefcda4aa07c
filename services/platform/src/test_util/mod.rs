//! Test helpers (feature `test-util`), one module a job: real Postgres and
//! RabbitMQ containers shared by a run with a fresh database or virtual host
//! per test, a client and identities for black-box tests, services served in
//! the background, relays that cut a dependency, an OTLP receiver, captured
//! logs and a real Prometheus.

use std::time::Duration;

mod client;
mod logs;
mod otlp;
mod postgres;
pub mod prometheus;
mod rabbitmq;
mod relay;
mod serve;

pub use client::{TestClient, WithCaller, admin, customer, error_of};
pub use logs::{CapturedLogs, init_test_logs};
pub use otlp::{OtlpReceiver, ReceivedSpan};
pub use postgres::{fresh_database, postgres_server_url};
pub use rabbitmq::fresh_broker;
pub use relay::{TcpRelay, authority_of, closed_port, port_for_a_server, via_relay};
pub use serve::{Served, serve, serve_in_background};

/// The image to use: `$var` when set; else the official image, then the
/// locally built one (deploy/images/) where no registry answers.
fn image_candidates(var: &str, official: &str, local: &str) -> Vec<String> {
    match std::env::var(var) {
        Ok(image) if !image.is_empty() => vec![image],
        _ => vec![official.to_owned(), local.to_owned()],
    }
}

/// Waits until `check` holds, polling, for at most `within`; panics naming
/// `what` otherwise. For conditions reached asynchronously (a consumer
/// processed a message), never as a stand-in for a fixed sleep.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out after {within:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
