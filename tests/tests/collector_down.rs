//! With the trace collector unreachable (connections accepted and never
//! answered: the worst case for an exporter), requests still succeed and
//! their latency stays bounded: exporting is off the request path and its
//! queue is bounded.

use std::time::{Duration, Instant};

use e2e::{Options, Shop};
use platform::config::TelemetrySettings;
use platform::telemetry::init_telemetry_with_writer;
use platform::test_util::CapturedLogs;

#[tokio::test]
async fn requests_keep_their_latency_when_the_collector_hangs() {
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", black_hole.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = black_hole.accept().await {
            held.push(socket); // never read, never answered
        }
    });
    // Spans and log records both go to the collector that never answers.
    let settings = TelemetrySettings::exporting_to(&endpoint, "warn");
    let _telemetry = init_telemetry_with_writer("shop", &settings, CapturedLogs::default());

    let shop = Shop::start(Options::default()).await;
    shop.product("MUG-1", 100, 5).await;
    let mut latencies = Vec::new();
    for page in 1..=200 {
        let started = Instant::now();
        // Distinct pages: no answer comes from the gateway's cache.
        let response = shop.gateway.get(&format!("/api/v1/products?page={page}&per_page=1")).await;
        latencies.push(started.elapsed());
        assert_eq!(response.status(), 200);
    }
    latencies.sort();
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[latencies.len() * 99 / 100];
    eprintln!("collector hanging: 200 requests through the gateway, p50 {p50:?}, p99 {p99:?}");
    // Half the exporter's 3 s timeout, which a blocking exporter would add
    // to every request: a bound no busy machine reaches on its own.
    assert!(p99 < Duration::from_millis(1500), "p99 {p99:?}");
}
