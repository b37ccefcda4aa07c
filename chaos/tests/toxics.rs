//! Every TCP toxic, measured through a real proxy against a real upstream:
//! latency and bandwidth within tolerance, resets seen by the client,
//! truncation to the byte, toxicity as a share of connections, and changes
//! acting on connections already open.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn latency_is_added_to_open_connections_and_taken_away_again() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    // A latency large enough that "with" and "without" cannot be confused
    // by a busy machine: without, a round trip stays under half of it.
    let direct = round_trip(&mut stream, b"ping").await;
    assert!(direct < Duration::from_millis(500), "{direct:?} without a toxic");

    server.add_toxic("echo", json!({ "type": "latency", "attributes": { "latency": 1000 } })).await;
    let slowed = round_trip(&mut stream, b"ping").await;
    assert!(
        (Duration::from_millis(1000)..Duration::from_millis(1800)).contains(&slowed),
        "{slowed:?} with 1 s of latency, on a connection opened before the toxic"
    );

    server.remove_toxic("echo", "latency_downstream").await;
    let restored = round_trip(&mut stream, b"ping").await;
    assert!(restored < Duration::from_millis(500), "{restored:?} after the toxic was removed");
    let injected = server.metric("chaos_proxy_faults_injected_total", &["proxy=\"echo\"", "kind=\"latency\""]).await;
    assert!(injected >= 1.0, "{injected}");
}

#[tokio::test]
async fn jitter_stays_within_latency_plus_or_minus_jitter_and_upstream_latency_applies() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    server
        .add_toxic(
            "echo",
            json!({ "type": "latency", "stream": "upstream", "attributes": { "latency": 200, "jitter": 100 } }),
        )
        .await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let mut times = Vec::new();
    for _ in 0..8 {
        times.push(round_trip(&mut stream, b"ping").await);
    }
    for t in &times {
        assert!((Duration::from_millis(100)..Duration::from_millis(450)).contains(t), "{times:?}");
    }
    let spread = times.iter().max().unwrap().as_millis() - times.iter().min().unwrap().as_millis();
    assert!(spread >= 10, "jitter should vary the delay: {times:?}");
}

#[tokio::test]
async fn a_message_written_in_pieces_is_delayed_once_not_once_per_piece() {
    // Toxiproxy's latency counts from when each chunk arrived, and chunks
    // are in flight together. Delaying each piece after the one before
    // (what this proxy did) turned 1 s of latency into 2 s or more here.
    let server = ProxyServer::start().await;
    let pieces = 4;
    let gap = Duration::from_millis(100);
    let proxy = server.proxy("pieces", pieces_server(pieces, 100, gap).await).await;
    server.add_toxic("pieces", json!({ "type": "latency", "attributes": { "latency": 1000 } })).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let arrivals = arrivals(&mut stream, started).await;
    assert_eq!(arrivals.iter().map(|(_, n)| n).sum::<usize>(), pieces * 100);
    let (first, last) = (arrivals[0].0, arrivals.last().unwrap().0);
    assert!(first >= Duration::from_millis(1000), "the first piece is late by the latency: {arrivals:?}");
    // Written over 300 ms, so read over about 300 ms; one latency more
    // between first and last piece is what per-piece delays add.
    assert!(last - first < Duration::from_millis(700), "pieces spread like their writes, {arrivals:?}");
}

#[tokio::test]
async fn a_bulk_stream_through_a_latency_toxic_keeps_its_throughput() {
    // 8 MiB read in chunks of at most 64 KiB: delayed chunk after chunk, at
    // 200 ms each, it took 25 s or more; in flight together, the stream is
    // late by the latency and not much more.
    let server = ProxyServer::start().await;
    let size = 8 * 1024 * 1024;
    let proxy = server.proxy("bulk", payload_server(size).await).await;
    server.add_toxic("bulk", json!({ "type": "latency", "attributes": { "latency": 200 } })).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let (data, reads, _) = read_to_end(&mut stream).await;
    let took = started.elapsed();
    assert_eq!(data, payload(size));
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?} for 8 MiB in {reads} reads behind 200 ms of latency");
}

#[tokio::test]
async fn bytes_stay_whole_and_in_order_while_toxics_come_and_go_mid_stream() {
    use rand::{Rng, SeedableRng};
    let server = ProxyServer::start().await;
    let proxy = server.proxy("mixed", echo_server().await).await;
    let stream = TcpStream::connect(proxy).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let sizes: Vec<usize> = (0..300).map(|_| rng.gen_range(1..=40_000)).collect();
    let sent: Vec<u8> = (0..sizes.iter().sum::<usize>()).map(|_| rng.r#gen::<u8>()).collect();
    let total = sent.len();
    let reading = tokio::spawn(async move {
        let mut received = Vec::with_capacity(total);
        let mut buf = vec![0u8; 64 * 1024];
        while received.len() < total {
            let n = reader.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed after {} of {total} bytes", received.len());
            received.extend_from_slice(&buf[..n]);
        }
        received
    });
    // Shaping toxics on and off, both ways, between the writes: every
    // change finds bytes in flight.
    let toxics = [
        json!({ "name": "lat", "type": "latency", "stream": "upstream", "attributes": { "latency": 3, "jitter": 3 } }),
        json!({ "name": "slice", "type": "slicer", "attributes": { "average_size": 3000, "size_variation": 2000 } }),
        json!({ "name": "rate", "type": "bandwidth", "stream": "upstream", "attributes": { "rate": 100_000 } }),
        json!({ "name": "lat0", "type": "latency", "attributes": { "latency": 0 } }),
    ];
    let mut offset = 0;
    for (i, size) in sizes.into_iter().enumerate() {
        writer.write_all(&sent[offset..offset + size]).await.unwrap();
        offset += size;
        let toxic = &toxics[(i / 2) % toxics.len()];
        if i % 2 == 0 {
            server.add_toxic("mixed", toxic.clone()).await;
        } else {
            server.remove_toxic("mixed", toxic["name"].as_str().unwrap()).await;
        }
    }
    let received = tokio::time::timeout(Duration::from_secs(60), reading).await.expect("all echoed").unwrap();
    assert_eq!(received.len(), sent.len());
    assert!(received == sent, "the echoed bytes differ from the sent ones");
}

#[tokio::test]
async fn bandwidth_limits_throughput_to_the_rate_in_kilobytes_per_second() {
    let server = ProxyServer::start().await;
    let size = 150 * 1024;
    let proxy = server.proxy("bulk", payload_server(size).await).await;
    server.add_toxic("bulk", json!({ "type": "bandwidth", "attributes": { "rate": 100 } })).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let arrivals = arrivals(&mut stream, started).await;
    let took = arrivals.last().unwrap().0;
    assert_eq!(arrivals.iter().map(|(_, n)| n).sum::<usize>(), size);
    // 153,600 bytes at 100 KB/s (Toxiproxy's KB: 1000 bytes): 1.54 s.
    assert!((Duration::from_millis(1450)..Duration::from_millis(2300)).contains(&took), "{took:?}");
    // A rate over the stream, in pieces of 100 ms worth (10 KB): by half
    // time about half has arrived, not nothing and then all of it at once.
    let by_half_time: usize = arrivals.iter().filter(|(at, _)| *at <= took / 2).map(|(_, n)| n).sum();
    assert!((size / 4..=size * 3 / 4).contains(&by_half_time), "{by_half_time} of {size} bytes by half time");
    assert!(arrivals.len() >= 8, "pieces of at most 100 ms worth (16 of them): {arrivals:?}");
}

#[tokio::test]
async fn slow_close_delays_the_end_of_the_stream() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("short", payload_server(10).await).await;
    server.add_toxic("short", json!({ "type": "slow_close", "attributes": { "delay": 500 } })).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let (data, _, end) = read_to_end(&mut stream).await;
    let took = started.elapsed();
    assert_eq!(data.len(), 10);
    assert!(end.is_ok());
    assert!((Duration::from_millis(500)..Duration::from_millis(900)).contains(&took), "{took:?}");
}

#[tokio::test]
async fn timeout_stops_data_and_closes_the_connection_after_the_timeout() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    server.add_toxic("echo", json!({ "type": "timeout", "attributes": { "timeout": 400 } })).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    stream.write_all(b"hello").await.unwrap();
    let (data, _, _) = read_to_end(&mut stream).await;
    let took = started.elapsed();
    assert!(data.is_empty(), "nothing gets through a timeout toxic: {data:?}");
    assert!((Duration::from_millis(400)..Duration::from_millis(900)).contains(&took), "{took:?}");
}

#[tokio::test]
async fn timeout_zero_holds_the_data_and_the_connection_until_removed() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    server.add_toxic("echo", json!({ "name": "hold", "type": "timeout", "attributes": { "timeout": 0 } })).await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    stream.write_all(b"held").await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(800), stream.read(&mut buf)).await;
    assert!(read.is_err(), "no answer and no close while held: {read:?}");

    server.remove_toxic("echo", "hold").await;
    // As Toxiproxy: the data is delayed until the toxic is removed, not lost.
    let mut held = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut held))
        .await
        .expect("what was sent while held arrives once the toxic is gone")
        .unwrap();
    assert_eq!(&held, b"held");
    // And the same connection goes on working.
    tokio::time::timeout(Duration::from_secs(10), round_trip(&mut stream, b"again"))
        .await
        .expect("the same connection answers again once the toxic is gone");
    let holds = server.metric("chaos_proxy_faults_injected_total", &["toxic=\"hold\""]).await;
    assert!(holds >= 1.0, "a hold is counted as the toxic's effect: {holds}");
}

#[tokio::test]
async fn reset_peer_resets_the_connection_at_once_or_after_its_timeout() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    server.add_toxic("echo", json!({ "type": "reset_peer", "attributes": { "timeout": 0 } })).await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let (data, _, end) = read_to_end(&mut stream).await;
    assert!(data.is_empty());
    assert_eq!(end.expect_err("the client sees a reset, not an orderly close").kind(), ErrorKind::ConnectionReset);

    server.remove_toxic("echo", "reset_peer_downstream").await;
    server.add_toxic("echo", json!({ "type": "reset_peer", "attributes": { "timeout": 400 } })).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut stream, b"still fine").await;
    let (_, _, end) = read_to_end(&mut stream).await;
    let took = started.elapsed();
    assert_eq!(end.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert!((Duration::from_millis(400)..Duration::from_millis(800)).contains(&took), "{took:?}");
}

#[tokio::test]
async fn slicer_splits_data_into_small_delayed_pieces_intact() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("sliced", payload_server(1000).await).await;
    // 100-byte slices, 20 ms (20000 µs, Toxiproxy's unit) apart.
    server
        .add_toxic(
            "sliced",
            json!({ "type": "slicer", "attributes": { "average_size": 100, "size_variation": 0, "delay": 20000 } }),
        )
        .await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let (data, reads, _) = read_to_end(&mut stream).await;
    let took = started.elapsed();
    assert_eq!(data, payload(1000));
    assert!(reads >= 5, "{reads} reads for 10 slices");
    assert!(took >= Duration::from_millis(180), "{took:?} for 9 gaps of 20 ms");
}

#[tokio::test]
async fn limit_data_closes_the_connection_after_exactly_that_many_bytes() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("limited", payload_server(10_000).await).await;
    server.add_toxic("limited", json!({ "type": "limit_data", "attributes": { "bytes": 1000 } })).await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let (data, _, _) = read_to_end(&mut stream).await;
    assert_eq!(data, payload(10_000)[..1000]);
}

#[tokio::test]
async fn toxicity_is_the_share_of_connections_a_toxic_affects() {
    use futures::StreamExt;
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    server
        .add_toxic(
            "echo",
            json!({ "name": "half", "type": "latency", "toxicity": 0.5, "attributes": { "latency": 1 } }),
        )
        .await;
    // Each connection carries one 4-byte answer downstream, so the proxy's
    // own count of latency faults is the number of connections it slowed:
    // decided by what the proxy did, not by a wall clock on a busy machine.
    let connections = 400;
    futures::stream::iter(0..connections)
        .for_each_concurrent(20, |_| async move {
            let mut stream = TcpStream::connect(proxy).await.unwrap();
            round_trip(&mut stream, b"ping").await;
        })
        .await;
    let slowed = server.metric("chaos_proxy_faults_injected_total", &["proxy=\"echo\"", "toxic=\"half\""]).await;
    // Binomial(400, 0.5): mean 200, standard deviation 10; outside ±50 (5 of
    // them) less than once in a million runs.
    assert!((150.0..=250.0).contains(&slowed), "{slowed} of {connections} slowed at toxicity 0.5");
}

#[tokio::test]
async fn a_disabled_proxy_refuses_connections_and_closes_open_ones_until_enabled() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    let mut open = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut open, b"ping").await;

    server.set_enabled("echo", false).await;
    let (_, _, _) = tokio::time::timeout(Duration::from_secs(2), read_to_end(&mut open)).await.expect("closed at once");
    let refused = TcpStream::connect(proxy).await;
    assert_eq!(refused.expect_err("refused while disabled").kind(), ErrorKind::ConnectionRefused);

    server.set_enabled("echo", true).await;
    let mut again = TcpStream::connect(proxy).await.expect("the same address again");
    round_trip(&mut again, b"ping").await;
}

#[tokio::test]
async fn traffic_is_counted_per_proxy_and_direction() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("counted", echo_server().await).await;
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    round_trip(&mut stream, &[7u8; 1000]).await;
    let up = server.metric("chaos_proxy_bytes_total", &["proxy=\"counted\"", "direction=\"upstream\""]).await;
    let down = server.metric("chaos_proxy_bytes_total", &["proxy=\"counted\"", "direction=\"downstream\""]).await;
    assert_eq!((up, down), (1000.0, 1000.0));
    assert_eq!(server.metric("chaos_proxy_connections_total", &["proxy=\"counted\""]).await, 1.0);
    assert_eq!(server.metric("chaos_proxy_active_connections", &["proxy=\"counted\""]).await, 1.0);
}
