//! What the proxy tests share: a proxy server in this process, and small
//! upstreams whose behaviour is known exactly (an echo server, a server
//! that sends a fixed payload, an HTTP service).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct ProxyServer {
    pub api: String,
    pub http: reqwest::Client,
}

impl ProxyServer {
    pub async fn start() -> Self {
        let (_registry, router) = chaos::proxy::control_api();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { api, http: reqwest::Client::new() }
    }

    /// Creates a proxy to `upstream` on a free port; returns its address.
    pub async fn proxy(&self, name: &str, upstream: SocketAddr) -> SocketAddr {
        let response = self
            .http
            .post(format!("{}/proxies", self.api))
            .json(&json!({ "name": name, "listen": "127.0.0.1:0", "upstream": upstream.to_string() }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let view: Value = response.json().await.unwrap();
        view["listen"].as_str().unwrap().parse().unwrap()
    }

    pub async fn add_toxic(&self, proxy: &str, toxic: Value) -> Value {
        let response =
            self.http.post(format!("{}/proxies/{proxy}/toxics", self.api)).json(&toxic).send().await.unwrap();
        assert_eq!(response.status(), 200, "{toxic}");
        response.json().await.unwrap()
    }

    pub async fn remove_toxic(&self, proxy: &str, toxic: &str) {
        let response = self.http.delete(format!("{}/proxies/{proxy}/toxics/{toxic}", self.api)).send().await.unwrap();
        assert_eq!(response.status(), 204);
    }

    pub async fn set_enabled(&self, proxy: &str, enabled: bool) {
        let response = self
            .http
            .post(format!("{}/proxies/{proxy}", self.api))
            .json(&json!({ "enabled": enabled }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    pub async fn metrics(&self) -> String {
        self.http.get(format!("{}/metrics", self.api)).send().await.unwrap().text().await.unwrap()
    }

    /// The value of one line of /metrics (0 when absent).
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        self.metrics()
            .await
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|label| l.contains(label)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// A TCP server that writes back whatever it reads.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if socket.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    address
}

/// A TCP server that sends `size` bytes (0, 1, 2 ... 255, 0 ...) to each
/// client, then closes.
pub async fn payload_server(size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let _ = socket.write_all(&payload(size)).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    address
}

pub fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 256) as u8).collect()
}

/// An HTTP service: `GET|POST /api/items` answer 200 with a JSON body of
/// about 4 KB, `GET /health` answers 200 "ok".
pub async fn http_service() -> SocketAddr {
    let big = "x".repeat(4096);
    let app = Router::new()
        .route(
            "/api/items",
            get(move || async move { axum::Json(json!({ "items": big })) }).post(|| async { "created" }),
        )
        .route("/health", get(|| async { "ok" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// Time for one echo round trip of `message` on an open connection.
pub async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Duration {
    let started = Instant::now();
    stream.write_all(message).await.unwrap();
    let mut received = vec![0u8; message.len()];
    stream.read_exact(&mut received).await.unwrap();
    assert_eq!(received, message);
    started.elapsed()
}

/// Reads until the server closes; returns what arrived, how many reads it
/// took, and how the stream ended.
pub async fn read_to_end(stream: &mut TcpStream) -> (Vec<u8>, usize, std::io::Result<()>) {
    let mut data = Vec::new();
    let mut reads = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return (data, reads, Ok(())),
            Ok(n) => {
                reads += 1;
                data.extend_from_slice(&buf[..n]);
            }
            Err(error) => return (data, reads, Err(error)),
        }
    }
}

/// A TCP server that writes `pieces` pieces of `size` bytes to each client,
/// `gap` apart (so a proxy reads them as separate chunks), then closes.
pub async fn pieces_server(pieces: usize, size: usize, gap: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { continue };
            socket.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                for i in 0..pieces {
                    if i > 0 {
                        tokio::time::sleep(gap).await;
                    }
                    if socket.write_all(&vec![i as u8; size]).await.is_err() {
                        return;
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    address
}

/// Reads until the server closes; returns when each read's bytes arrived
/// (from `started`) and how many there were.
pub async fn arrivals(stream: &mut TcpStream, started: Instant) -> Vec<(Duration, usize)> {
    let mut arrivals = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return arrivals,
            Ok(n) => arrivals.push((started.elapsed(), n)),
        }
    }
}
