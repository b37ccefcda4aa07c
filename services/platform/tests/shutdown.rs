//! Graceful shutdown of the platform's server, in-process on real sockets:
//! what a load balancer and a client in the middle of a request see between
//! SIGTERM and exit.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use platform::config::ServerSettings;
use platform::server::Service;
use platform::shutdown::Stopping;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// A service with `/slow`, which answers when the test says so, and a
/// background task that ends when the service says it is stopping.
struct Running {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
    /// `/slow` has been entered.
    entered: Arc<Notify>,
    /// Lets `/slow` answer.
    release: Arc<Notify>,
    background_stopped: oneshot::Receiver<()>,
}

async fn start(delay: Duration, grace: Duration) -> Running {
    let settings = ServerSettings { shutdown_delay: delay, shutdown_grace: grace, ..ServerSettings::for_tests() };
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let slow = {
        let (entered, release) = (entered.clone(), release.clone());
        move || async move {
            entered.notify_one();
            release.notified().await;
            "done"
        }
    };
    let service = Service::new("shutdown-test", settings);
    let (stopped_tx, background_stopped) = oneshot::channel();
    let mut stopping: Stopping = service.stopping();
    let background = tokio::spawn(async move {
        stopping.wait().await;
        let _ = stopped_tx.send(());
    });
    let server = service.run_beside("waiter", background).bind(Router::new().route("/slow", get(slow))).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel();
    let server = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    Running { base, stop: Some(stop), server, entered, release, background_stopped }
}

impl Running {
    fn sigterm(&mut self) {
        self.stop.take().expect("stopped once").send(()).unwrap();
    }
}

/// A new connection for every request: what a load balancer's probe does.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

#[tokio::test]
async fn readiness_turns_503_at_once_and_new_connections_are_refused_after_the_delay() {
    let mut app = start(Duration::from_secs(5), Duration::from_secs(20)).await;
    let client = fresh_client();
    assert_eq!(client.get(format!("{}/ready", app.base)).send().await.unwrap().status(), 200);

    app.sigterm();
    // The delay is long enough that this is well inside it, on any machine.
    platform::test_util::eventually("/ready answers 503", Duration::from_secs(4), || async {
        client.get(format!("{}/ready", app.base)).send().await.unwrap().status() == 503
    })
    .await;
    let health = client.get(format!("{}/health", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200, "still alive, only not ready");

    platform::test_util::eventually("new connections refused", Duration::from_secs(15), || async {
        client.get(format!("{}/health", app.base)).send().await.is_err_and(|e| e.is_connect())
    })
    .await;
    let exited = tokio::time::timeout(Duration::from_secs(15), &mut app.server).await;
    exited.expect("the server returned within the grace").unwrap().unwrap();
}

#[tokio::test]
async fn a_request_in_flight_when_sigterm_arrives_is_answered_and_background_work_is_told_to_stop() {
    let mut app = start(Duration::ZERO, Duration::from_secs(20)).await;
    let client = fresh_client();
    let in_flight = tokio::spawn({
        let url = format!("{}/slow", app.base);
        let client = client.clone();
        async move { client.get(url).send().await }
    });
    app.entered.notified().await;

    app.sigterm();
    tokio::time::timeout(Duration::from_secs(10), &mut app.background_stopped)
        .await
        .expect("background work told to stop at once")
        .unwrap();
    platform::test_util::eventually("new connections refused", Duration::from_secs(10), || async {
        client.get(format!("{}/health", app.base)).send().await.is_err_and(|e| e.is_connect())
    })
    .await;
    assert!(!app.server.is_finished(), "the server waits for the request in flight");

    app.release.notify_one();
    let answer = in_flight.await.unwrap().expect("the request in flight is answered");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "done");
    let exited = tokio::time::timeout(Duration::from_secs(10), &mut app.server).await;
    exited.expect("the server returned once the request was answered").unwrap().unwrap();
}

#[tokio::test]
async fn a_request_still_running_when_the_grace_ends_does_not_hold_the_server_up() {
    let mut app = start(Duration::ZERO, Duration::from_millis(500)).await;
    let _in_flight = tokio::spawn({
        let url = format!("{}/slow", app.base);
        async move { fresh_client().get(url).send().await }
    });
    app.entered.notified().await;

    app.sigterm();
    // Never released: the grace decides. (The process then exits, which
    // closes the connection: services/users/tests/api/shutdown.rs.)
    let exited = tokio::time::timeout(Duration::from_secs(10), &mut app.server).await;
    exited.expect("the server returned after the grace").unwrap().unwrap();
}
