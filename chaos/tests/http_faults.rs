//! The HTTP-aware faults, through a real proxy in front of a real HTTP
//! service: an injected status at the configured share of matching requests
//! (within statistical tolerance), matched by method and path prefix;
//! latency per request on a kept-alive connection; a response cut short.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_status_is_injected_at_the_configured_share_of_matching_requests_only() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    server
        .add_toxic(
            "api",
            json!({ "name": "storm", "type": "http_status", "toxicity": 0.3, "attributes": { "status": 503, "path_prefix": "/api" } }),
        )
        .await;
    let client = reqwest::Client::new();
    let requests = 400;
    let mut injected = 0;
    for _ in 0..requests {
        let response = client.get(format!("http://{proxy}/api/items")).send().await.unwrap();
        match response.status().as_u16() {
            200 => assert_eq!(response.json::<Value>().await.unwrap()["items"].as_str().unwrap().len(), 4096),
            503 => {
                assert_eq!(response.headers()["x-chaos-fault"], "storm");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "injected");
                injected += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let share = f64::from(injected) / f64::from(requests);
    // Binomial(400, 0.3): standard deviation 0.023; ±0.12 is over 5 of them,
    // outside it less than once in a million runs.
    assert!((0.18..=0.42).contains(&share), "{injected} of {requests} injected at toxicity 0.3");

    for _ in 0..50 {
        let health = client.get(format!("http://{proxy}/health")).send().await.unwrap();
        assert_eq!(health.status(), 200, "/health does not match the path prefix /api");
    }
    let counted =
        server.metric("chaos_proxy_faults_injected_total", &["toxic=\"storm\"", "kind=\"http_status\""]).await;
    assert_eq!(counted, f64::from(injected));
    assert_eq!(server.metric("chaos_proxy_http_requests_total", &["proxy=\"api\""]).await, f64::from(requests + 50));
}

#[tokio::test]
async fn a_fault_matches_by_method() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    server
        .add_toxic("api", json!({ "type": "http_status", "attributes": { "status": 500, "method": "POST", "path_prefix": "/api/items" } }))
        .await;
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let post = client.post(format!("http://{proxy}/api/items")).body("{\"a\":1}").send().await.unwrap();
        assert_eq!(post.status(), 500);
        let get = client.get(format!("http://{proxy}/api/items")).send().await.unwrap();
        assert_eq!(get.status(), 200, "GET is not matched by a POST fault");
    }
}

#[tokio::test]
async fn a_fault_can_break_one_tenants_sampled_requests_and_leave_everyone_elses() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    let conditions =
        json!({ "status": 503, "path": "/api/*", "headers": { "x-tenant": "blue", "traceparent": "*-01" } });
    server.add_toxic("api", json!({ "name": "blue", "type": "http_status", "attributes": conditions })).await;
    let client = reqwest::Client::new();
    let sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let status = |path: &'static str, tenant: Option<&'static str>, traceparent: &'static str| {
        let mut request = client.get(format!("http://{proxy}{path}")).header("traceparent", traceparent);
        if let Some(tenant) = tenant {
            request = request.header("X-Tenant", tenant);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(status("/api/items", Some("blue"), sampled).await, 503, "blue, sampled, under /api/");
        assert_eq!(status("/api/items", Some("blue"), unsampled).await, 200, "not sampled");
        assert_eq!(status("/api/items", Some("green"), sampled).await, 200, "another tenant");
        assert_eq!(status("/api/items", None, sampled).await, 200, "no tenant header");
        assert_eq!(status("/health", Some("blue"), sampled).await, 200, "a path outside the pattern");
    }
    assert_eq!(server.metric("chaos_proxy_faults_injected_total", &["toxic=\"blue\""]).await, 3.0);

    // What a pattern must be is checked when the fault is set.
    let response = server
        .http
        .post(format!("{}/proxies/api/toxics", server.api))
        .json(&json!({ "type": "http_latency", "attributes": { "headers": { "x-tenant": 7 } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_fault_added_to_a_kept_alive_connection_acts_on_its_next_request_and_goes_with_its_removal() {
    // Without an HTTP fault the proxy does not parse requests (it counts
    // them by their request lines); once one is added it starts parsing at
    // the next request, on the connection already open.
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    let client = reqwest::Client::new();
    let get = || async { client.get(format!("http://{proxy}/api/items")).send().await.unwrap().status().as_u16() };
    for _ in 0..3 {
        assert_eq!(get().await, 200);
    }
    server.add_toxic("api", json!({ "name": "now", "type": "http_status", "attributes": { "status": 503 } })).await;
    for _ in 0..3 {
        assert_eq!(get().await, 503, "the fault acts on the open connection");
    }
    server.remove_toxic("api", "now").await;
    assert_eq!(get().await, 200);
    assert_eq!(server.metric("chaos_proxy_connections_total", &["proxy=\"api\""]).await, 1.0, "one connection");
    assert_eq!(
        server.metric("chaos_proxy_http_requests_total", &["proxy=\"api\""]).await,
        7.0,
        "every request counted"
    );
}

#[tokio::test]
async fn http_latency_applies_to_every_request_on_a_kept_alive_connection() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    server
        .add_toxic("api", json!({ "type": "http_latency", "attributes": { "latency": 1000, "path_prefix": "/api" } }))
        .await;
    let client = reqwest::Client::new();
    for _ in 0..4 {
        let started = Instant::now();
        let response = client.get(format!("http://{proxy}/api/items")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        let took = started.elapsed();
        assert!((Duration::from_millis(1000)..Duration::from_millis(1800)).contains(&took), "{took:?}");
    }
    // Unmatched: well under the 1 s a matched request waits, on any machine.
    let health = Instant::now();
    client.get(format!("http://{proxy}/health")).send().await.unwrap();
    assert!(health.elapsed() < Duration::from_millis(500), "unmatched requests are not delayed");
    // One connection carried them all: the latency is per request, not per connection.
    assert_eq!(server.metric("chaos_proxy_connections_total", &["proxy=\"api\""]).await, 1.0);
}

#[tokio::test]
async fn http_abort_cuts_the_response_short_and_the_client_sees_it() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    server.add_toxic("api", json!({ "name": "cut", "type": "http_abort", "attributes": { "after_bytes": 60 } })).await;
    let client = reqwest::Client::new();
    let outcome = match client.get(format!("http://{proxy}/api/items")).send().await {
        Err(error) => Err(error),
        Ok(response) => response.bytes().await.map(|_| ()),
    };
    assert!(outcome.is_err(), "the response was cut after 60 bytes: {outcome:?}");

    server.remove_toxic("api", "cut").await;
    let response = client.get(format!("http://{proxy}/api/items")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), 4096 + 12);
}

#[tokio::test]
async fn http_faults_leave_non_http_connections_alone() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("raw", echo_server().await).await;
    server.add_toxic("raw", json!({ "type": "http_status", "attributes": { "status": 503 } })).await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut stream, b"\x00\x00\x00\x08\x04\xd2\x16\x2f").await;
}
