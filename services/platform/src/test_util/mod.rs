//! Test helpers (feature `test-util`), one module a job: real Postgres and
//! RabbitMQ containers shared by a run with a fresh database or virtual host
//! per test, a client and identities for black-box tests, services served in
//! the background, relays that cut a dependency, stubbed third parties, an
//! OTLP receiver, captured logs and a real Prometheus.

use std::time::Duration;

use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ContainerRequest, Image};

mod client;
mod logs;
mod otlp;
mod postgres;
pub mod prometheus;
mod rabbitmq;
mod relay;
mod serve;
mod stubs;

pub use client::{TestClient, WithCaller, admin, customer, error_of};
pub use logs::{CapturedLogs, init_test_logs};
pub use otlp::{OtlpReceiver, ReceivedLog, ReceivedSpan};
pub use postgres::{fresh_database, postgres_server_url};
pub use rabbitmq::fresh_broker;
pub use relay::{TcpRelay, authority_of, closed_port, port_for_a_server, via_relay};
pub use serve::{Served, serve, serve_in_background};
pub use stubs::{answer_first_posts, answer_posts, json_answer};

/// The image to use: `$var` when set; else the official image, then the
/// locally built one (deploy/images/) where no registry answers.
fn image_candidates(var: &str, official: &str, local: &str) -> Vec<String> {
    match std::env::var(var) {
        Ok(image) if !image.is_empty() => vec![image],
        _ => vec![official.to_owned(), local.to_owned()],
    }
}

/// Starts the first of `images` (`name:tag`) that runs, as `request` makes
/// it, retrying a few times: another test binary may be creating the same
/// named, reused container right now, and its name then clashes once before
/// the next attempt finds it for reuse.
async fn start_reused<I: Image>(
    images: &[String],
    request: impl Fn(&str, &str) -> ContainerRequest<I>,
) -> ContainerAsync<I> {
    let mut last_error = None;
    for attempt in 0..5 {
        let image = &images[attempt % images.len()];
        let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
        match request(name, tag).start().await {
            Ok(container) => return container,
            Err(error) => {
                last_error = Some(error.to_string());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    panic!("could not start any of {images:?}: {}", last_error.unwrap_or_default());
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
