//! The outbound client's resilience stack against a dependency whose faults
//! wiremock shapes: retries, timeouts, the circuit breaker, the bulkhead;
//! and the server side's load shedding. Each case is also read back from
//! the metrics the services export.

use std::time::{Duration, Instant};

use axum::http::Method;
use platform::client::resilience::{DependencyLabels, OutcomeLabels, ResilienceMetrics, TransitionLabels};
use platform::client::{Call, CallError, ClientSettings, ServiceClient};
use platform::metrics::HttpClientMetrics;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn settings(server: &MockServer, tweak: impl FnOnce(&mut ClientSettings)) -> ClientSettings {
    let mut settings = ClientSettings::fixed("payments", server.uri());
    settings.resilience.backoff_base = Duration::from_millis(1);
    settings.resilience.backoff_max = Duration::from_millis(5);
    tweak(&mut settings);
    settings
}

async fn client(settings: ClientSettings) -> (ServiceClient, ResilienceMetrics) {
    let metrics = ResilienceMetrics::default();
    (ServiceClient::with_metrics(settings, HttpClientMetrics::detached(), metrics.clone()).await, metrics)
}

async fn received(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

fn count(metrics: &ResilienceMetrics, outcome: &'static str) -> u64 {
    metrics.calls.get_or_create(&OutcomeLabels { peer_service: "payments".into(), outcome }).get()
}

fn dependency() -> DependencyLabels {
    DependencyLabels { peer_service: "payments".into() }
}

async fn fails_with(server: &MockServer, status: u16) {
    server.reset().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(status)).mount(server).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).mount(server).await;
}

#[tokio::test]
async fn retries_recover_from_transient_503s() {
    let server = MockServer::start().await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(503)).up_to_n_times(2).mount(&server).await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let (client, metrics) = client(settings(&server, |_| {})).await;
    let response = client.send(Call::get("/x")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(received(&server).await, 3);
    assert_eq!(metrics.retries.get_or_create(&dependency()).get(), 2);
    assert_eq!(count(&metrics, "success"), 1);
}

#[tokio::test]
async fn a_post_without_an_idempotency_key_is_not_retried_and_one_with_a_key_is() {
    let server = MockServer::start().await;
    fails_with(&server, 503).await;
    let (client, _) = client(settings(&server, |_| {})).await;
    let response = client.send(Call::new(Method::POST, "/charge")).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(received(&server).await, 1, "not retried: repeating could charge twice");

    let mut keyed = Call::new(Method::POST, "/charge");
    keyed.headers.insert("idempotency-key", "order-1".parse().unwrap());
    client.send(keyed).await.unwrap();
    assert_eq!(received(&server).await, 1 + 3, "retried twice with the key");
}

#[tokio::test]
async fn retries_stop_when_the_budget_is_spent() {
    let server = MockServer::start().await;
    fails_with(&server, 503).await;
    let (client, metrics) = client(settings(&server, |s| {
        s.resilience.retry_budget_percent = 0.0;
        s.resilience.retry_budget_min_per_sec = 0;
        s.resilience.breaker_min_calls = 20; // keep the breaker out of this
    }))
    .await;
    for _ in 0..5 {
        assert_eq!(client.send(Call::get("/x")).await.unwrap().status(), 503);
    }
    assert_eq!(received(&server).await, 5, "no retries without budget");
    assert_eq!(metrics.retry_budget_exhausted.get_or_create(&dependency()).get(), 5);
}

#[tokio::test]
async fn a_dependency_slower_than_the_timeout_ends_the_call_at_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let (client, metrics) = client(settings(&server, |s| {
        s.timeout = Duration::from_millis(300);
        s.resilience.attempt_timeout = Duration::from_millis(200);
    }))
    .await;
    let started = Instant::now();
    let error = client.send(Call::get("/slow")).await.unwrap_err();
    assert!(matches!(error, CallError::Timeout { .. }), "{error}");
    // Ended by the timeout, long before the answer would have come.
    assert!(started.elapsed() < Duration::from_secs(4), "ended after {:?}", started.elapsed());
    assert_eq!(count(&metrics, "timeout"), 1);
}

#[tokio::test]
async fn an_answer_whose_body_stalls_ends_at_the_attempts_time() {
    // A dependency that sends its head and part of its body, then nothing, connection held open.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stalled, mut stalled_rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            request.push(socket.read_u8().await.unwrap());
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"amount\":";
        socket.write_all(head.as_bytes()).await.unwrap();
        stalled.send(socket).await.unwrap();
    });
    let mut settings = ClientSettings::fixed("payments", url);
    settings.timeout = Duration::from_secs(5);
    settings.resilience.attempt_timeout = Duration::from_millis(300);
    let (client, _) = client(settings).await;
    let call = client.json::<serde_json::Value>(Call::get("/stalls"));
    let error =
        tokio::time::timeout(Duration::from_secs(20), call).await.expect("the call ends by itself").unwrap_err();
    assert!(matches!(error, CallError::BadAnswer { .. }), "{error}");
    // The socket was still open when the call gave up: the attempt's time ended it, not the peer.
    assert!(stalled_rx.try_recv().is_ok());
}

/// A breaker that opens after 4 calls at 50 % failures and stays open 300 ms.
fn breaker(s: &mut ClientSettings) {
    s.resilience.retries = 0;
    s.resilience.breaker_window = Duration::from_secs(10);
    s.resilience.breaker_min_calls = 4;
    s.resilience.breaker_failure_rate = 0.5;
    s.resilience.breaker_open_for = Duration::from_millis(300);
    s.resilience.breaker_half_open_calls = 1;
}

/// Moves the breaker's clock (tokio's) on by `by`, without waiting: the
/// dependency is a real server, so the clock runs again for the calls.
async fn time_passes(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// The open time passes; the next call is the half-open probe.
async fn probe_after_the_open_time(client: &ServiceClient) -> Result<reqwest::Response, CallError> {
    assert!(matches!(client.send(Call::get("/x")).await, Err(CallError::CircuitOpen { .. })), "still open before");
    time_passes(Duration::from_millis(300)).await;
    client.send(Call::get("/x")).await
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_probes_and_closes() {
    let server = MockServer::start().await;
    fails_with(&server, 503).await;
    let (client, metrics) = client(settings(&server, breaker)).await;
    for _ in 0..4 {
        assert_eq!(client.send(Call::get("/x")).await.unwrap().status(), 503);
    }
    // Open: the call is refused, and the dependency sees nothing.
    let error = client.send(Call::get("/x")).await.unwrap_err();
    assert!(matches!(error, CallError::CircuitOpen { .. }), "{error}");
    assert_eq!(received(&server).await, 4);
    assert_eq!(metrics.breaker_state.get_or_create(&dependency()).get(), 2);
    assert!(count(&metrics, "rejected_by_breaker") >= 1);

    // After the wait a probe goes through; it fails: open again.
    let probe = probe_after_the_open_time(&client).await.unwrap();
    assert_eq!(probe.status(), 503);
    assert_eq!(metrics.breaker_state.get_or_create(&dependency()).get(), 2);
    let reopened = TransitionLabels { peer_service: "payments".into(), from: "half_open", to: "open" };
    assert_eq!(metrics.breaker_transitions.get_or_create(&reopened).get(), 1);

    // The dependency recovers: the next probe succeeds and the breaker closes.
    fails_with(&server, 200).await;
    assert_eq!(probe_after_the_open_time(&client).await.unwrap().status(), 200);
    assert_eq!(metrics.breaker_state.get_or_create(&dependency()).get(), 0);
    let closed = TransitionLabels { peer_service: "payments".into(), from: "half_open", to: "closed" };
    assert_eq!(metrics.breaker_transitions.get_or_create(&closed).get(), 1);
}

#[tokio::test]
async fn the_breaker_judges_recent_calls_not_the_whole_history() {
    let server = MockServer::start().await;
    fails_with(&server, 200).await;
    let window = Duration::from_millis(300);
    let (client, metrics) = client(settings(&server, |s| {
        breaker(s);
        s.resilience.breaker_window = window;
    }))
    .await;
    // A long good history...
    for _ in 0..40 {
        assert_eq!(client.send(Call::get("/x")).await.unwrap().status(), 200);
    }
    // ...that has left the window (the passing of time is what is tested here).
    time_passes(window + Duration::from_millis(100)).await;
    // The dependency dies: 4 failures are 100 % of the window, not 4 of 44.
    fails_with(&server, 503).await;
    for _ in 0..4 {
        assert_eq!(client.send(Call::get("/x")).await.unwrap().status(), 503);
    }
    assert!(matches!(client.send(Call::get("/x")).await, Err(CallError::CircuitOpen { .. })));
    assert_eq!(metrics.breaker_state.get_or_create(&dependency()).get(), 2);
}

#[tokio::test]
async fn the_breaker_also_opens_on_slow_calls() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(120)))
        .mount(&server)
        .await;
    let (client, metrics) = client(settings(&server, |s| {
        breaker(s);
        s.resilience.breaker_slow_call = Duration::from_millis(50);
        s.resilience.breaker_slow_rate = 0.5;
    }))
    .await;
    for _ in 0..4 {
        assert_eq!(client.send(Call::get("/x")).await.unwrap().status(), 200, "slow but successful");
    }
    assert!(matches!(client.send(Call::get("/x")).await, Err(CallError::CircuitOpen { .. })));
    assert_eq!(metrics.breaker_state.get_or_create(&dependency()).get(), 2);
}

#[tokio::test]
async fn a_hung_dependency_fills_its_bulkhead_only() {
    let hung = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&hung)
        .await;
    let healthy = MockServer::start().await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(200)).mount(&healthy).await;
    let (slow, slow_metrics) = client(settings(&hung, |s| {
        s.resilience.bulkhead = 2;
        s.timeout = Duration::from_secs(5);
        s.resilience.attempt_timeout = Duration::from_secs(5);
    }))
    .await;
    let (fast, _) = client(ClientSettings { name: "inventory", ..settings(&healthy, |_| {}) }).await;

    let in_flight: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn({
                let slow = slow.clone();
                async move { slow.send(Call::get("/x")).await }
            })
        })
        .collect();
    platform::test_util::eventually("both calls are at the hung dependency", Duration::from_secs(5), || async {
        received(&hung).await == 2
    })
    .await;

    // Refused, not queued: it never reaches the hung dependency.
    let refused = slow.send(Call::get("/x")).await.unwrap_err();
    assert!(matches!(refused, CallError::BulkheadFull { .. }), "{refused}");
    assert_eq!(count(&slow_metrics, "rejected_by_bulkhead"), 1);
    assert_eq!(received(&hung).await, 2);

    // The other dependency's calls are answered while this bulkhead is full.
    assert_eq!(fast.send(Call::get("/x")).await.unwrap().status(), 200);
    assert!(in_flight.iter().all(|call| !call.is_finished()), "still hung: the bulkhead was full throughout");
    for call in in_flight {
        call.abort();
    }
}

#[tokio::test]
async fn under_a_burst_beyond_capacity_excess_requests_are_shed_fast() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::get;
    let mut settings = platform::config::ServerSettings::for_tests();
    settings.max_concurrent_requests = 3;
    // The work holds its slot until the test opens the gate.
    let (working, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(tokio::sync::Semaphore::new(0)));
    let app = axum::Router::new().route(
        "/work",
        get({
            let (working, gate) = (working.clone(), gate.clone());
            move || async move {
                working.fetch_add(1, Ordering::SeqCst);
                let _pass = gate.acquire().await.unwrap();
                "done"
            }
        }),
    );
    let server = platform::server::Service::new("worker", settings).bind(app).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    platform::test_util::serve_in_background(server.run_until(std::future::pending()));

    let http = reqwest::Client::new();
    let send = || {
        let (http, url) = (http.clone(), format!("{base}/work"));
        tokio::spawn(async move { http.get(url).send().await.unwrap().status().as_u16() })
    };
    let accepted: Vec<_> = (0..3).map(|_| send()).collect();
    platform::test_util::eventually("three requests at work", Duration::from_secs(10), || async {
        working.load(Ordering::SeqCst) == 3
    })
    .await;
    // Every slot is taken and held: the burst is answered while none is free,
    // so each of its answers is a refusal, not a wait for a slot.
    let burst = futures::future::join_all((0..9).map(|_| send())).await;
    assert!(burst.iter().all(|status| *status.as_ref().unwrap() == 503), "{burst:?}");
    assert_eq!(working.load(Ordering::SeqCst), 3, "no shed request reached the handler");

    gate.add_permits(3);
    for request in accepted {
        assert_eq!(request.await.unwrap(), 200);
    }

    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("http_server_request_duration_seconds_count")
            && l.contains(r#"http_response_status_code="503""#)
            && l.ends_with(" 9")),
        "{metrics}"
    );
}
