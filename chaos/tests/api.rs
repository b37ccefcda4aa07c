//! The control API, shaped as Toxiproxy's: routes, JSON fields, defaults,
//! status codes and errors (`{"error": ..., "status": ...}`), so that
//! Toxiproxy clients drive this proxy unchanged. Also: start-up from a
//! config file, as `toxiproxy-server -config`.

mod common;

use std::time::Duration;

use common::*;
use platform::test_util::eventually;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(server: &ProxyServer, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = server.http.request(method, format!("{}{path}", server.api));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

#[tokio::test]
async fn proxies_are_created_listed_changed_and_deleted_as_in_toxiproxy() {
    let server = ProxyServer::start().await;
    let upstream = echo_server().await.to_string();

    let (status, version) = call(&server, Method::GET, "/version", None).await;
    assert_eq!(status, 200);
    assert!(version["version"].as_str().unwrap().starts_with("2."), "{version}");

    let (status, created) = call(
        &server,
        Method::POST,
        "/proxies",
        Some(json!({ "name": "db", "listen": "127.0.0.1:0", "upstream": upstream })),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["name"], "db");
    assert_eq!(created["upstream"], upstream);
    assert_eq!(created["enabled"], true, "enabled by default");
    assert_eq!(created["toxics"], json!([]));
    assert!(!created["listen"].as_str().unwrap().ends_with(":0"), "the real port is shown: {created}");

    let (status, error) =
        call(&server, Method::POST, "/proxies", Some(json!({ "name": "db", "upstream": upstream }))).await;
    assert_eq!((status, error), (409, json!({ "error": "proxy already exists", "status": 409 })));
    let (status, error) = call(&server, Method::POST, "/proxies", Some(json!({ "name": "x" }))).await;
    assert_eq!(status, 400);
    assert_eq!(error["status"], 400);
    assert!(error["error"].as_str().unwrap().contains("upstream"), "{error}");

    let (status, all) = call(&server, Method::GET, "/proxies", None).await;
    assert_eq!(status, 200);
    assert_eq!(all["db"], created, "GET /proxies is a map by name");

    let (status, one) = call(&server, Method::GET, "/proxies/db", None).await;
    assert_eq!((status, one), (200, created.clone()));
    let (status, error) = call(&server, Method::GET, "/proxies/nope", None).await;
    assert_eq!((status, error), (404, json!({ "error": "proxy not found", "status": 404 })));

    let (status, disabled) = call(&server, Method::POST, "/proxies/db", Some(json!({ "enabled": false }))).await;
    assert_eq!(status, 200);
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["listen"], created["listen"]);

    let (status, body) = call(&server, Method::DELETE, "/proxies/db", None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, error) = call(&server, Method::DELETE, "/proxies/db", None).await;
    assert_eq!((status, error), (404, json!({ "error": "proxy not found", "status": 404 })));
}

#[tokio::test]
async fn toxics_take_toxiproxy_defaults_and_errors() {
    let server = ProxyServer::start().await;
    server.proxy("db", echo_server().await).await;

    let (status, toxic) = call(
        &server,
        Method::POST,
        "/proxies/db/toxics",
        Some(json!({ "type": "latency", "attributes": { "latency": 100 } })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        toxic,
        json!({ "name": "latency_downstream", "type": "latency", "stream": "downstream", "toxicity": 1.0,
                "attributes": { "latency": 100, "jitter": 0 } })
    );
    let (status, error) = call(&server, Method::POST, "/proxies/db/toxics", Some(json!({ "type": "latency" }))).await;
    assert_eq!((status, error), (409, json!({ "error": "toxic already exists", "status": 409 })));
    let (status, error) = call(&server, Method::POST, "/proxies/db/toxics", Some(json!({ "type": "lag" }))).await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("invalid toxic type"), "{error}");
    let (status, error) = call(&server, Method::POST, "/proxies/nope/toxics", Some(json!({ "type": "latency" }))).await;
    assert_eq!((status, error["status"].clone()), (404, json!(404)));
    let response =
        server.http.post(format!("{}/proxies/db/toxics", server.api)).body("{not json").send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], 400);

    let (status, listed) = call(&server, Method::GET, "/proxies/db/toxics", None).await;
    assert_eq!((status, listed), (200, json!([toxic.clone()])));
    let (status, shown) = call(&server, Method::GET, "/proxies/db/toxics/latency_downstream", None).await;
    assert_eq!((status, shown), (200, toxic.clone()));

    let (status, changed) = call(
        &server,
        Method::POST,
        "/proxies/db/toxics/latency_downstream",
        Some(json!({ "attributes": { "latency": 250 } })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(changed["attributes"], json!({ "latency": 250, "jitter": 0 }));
    let (_, proxy) = call(&server, Method::GET, "/proxies/db", None).await;
    assert_eq!(proxy["toxics"], json!([changed]), "the proxy shows its toxics");

    let (status, _) = call(&server, Method::DELETE, "/proxies/db/toxics/latency_downstream", None).await;
    assert_eq!(status, 204);
    let (status, error) = call(&server, Method::DELETE, "/proxies/db/toxics/latency_downstream", None).await;
    assert_eq!((status, error), (404, json!({ "error": "toxic not found", "status": 404 })));
}

#[tokio::test]
async fn populate_creates_or_updates_and_reset_removes_toxics_and_enables_all() {
    let server = ProxyServer::start().await;
    let upstream = echo_server().await.to_string();
    let (status, body) = call(
        &server,
        Method::POST,
        "/populate",
        Some(json!([
            { "name": "a", "listen": "127.0.0.1:0", "upstream": upstream },
            { "name": "b", "listen": "127.0.0.1:0", "upstream": upstream, "enabled": false },
        ])),
    )
    .await;
    assert_eq!(status, 201);
    let proxies = body["proxies"].as_array().unwrap();
    assert_eq!(proxies.len(), 2);
    assert_eq!(proxies[1]["enabled"], false);

    call(&server, Method::POST, "/proxies/a/toxics", Some(json!({ "type": "timeout" }))).await;
    let (status, _) = call(&server, Method::POST, "/reset", None).await;
    assert_eq!(status, 204);
    let (_, all) = call(&server, Method::GET, "/proxies", None).await;
    assert_eq!(all["a"]["toxics"], json!([]));
    assert_eq!(all["b"]["enabled"], true);

    let (status, body) =
        call(&server, Method::POST, "/populate", Some(json!([{ "name": "a", "upstream": "127.0.0.1:1" }]))).await;
    assert_eq!(status, 201);
    assert_eq!(body["proxies"][0]["upstream"], "127.0.0.1:1", "an existing proxy is updated");
}

#[tokio::test]
async fn the_server_starts_with_the_proxies_of_its_config_file() {
    let dir = std::env::temp_dir().join(format!("chaos-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upstream = echo_server().await;
    let free = || std::net::SocketAddr::from(([127, 0, 0, 1], platform::test_util::port_for_a_server()));
    let (listen, api) = (free(), free());
    let config = dir.join("proxies.json");
    std::fs::write(
        &config,
        json!([{ "name": "echo", "listen": listen.to_string(), "upstream": upstream.to_string() }]).to_string(),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chaos-proxy"))
        .args(["--host", "127.0.0.1", "--port", &api.port().to_string(), "--config"])
        .arg(&config)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    eventually("the API answers", Duration::from_secs(10), || async {
        http.get(format!("http://{api}/proxies")).send().await.is_ok()
    })
    .await;
    let all: Value = http.get(format!("http://{api}/proxies")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["echo"]["listen"], listen.to_string());
    let mut stream = tokio::net::TcpStream::connect(listen).await.unwrap();
    round_trip(&mut stream, b"configured").await;
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_runner_opens_and_closes_fault_windows_that_the_metrics_show() {
    let server = ProxyServer::start().await;
    let window = json!({ "kind": "partition", "target": "container payments" });
    let put = server.http.put(format!("{}/faults/payments%20cut", server.api)).json(&window).send().await.unwrap();
    assert_eq!(put.status(), 204);
    let (status, open) = call(&server, Method::GET, "/faults", None).await;
    assert_eq!((status, open), (200, json!({ "payments cut": window })));
    let line = r#"chaos_fault_active{fault="payments cut",kind="partition",target="container payments"}"#;
    assert!(server.metrics().await.contains(&format!("{line} 1")), "open: 1");

    let (status, _) = call(&server, Method::DELETE, "/faults/payments%20cut", None).await;
    assert_eq!(status, 204);
    assert!(server.metrics().await.contains(&format!("{line} 0")), "closed: 0");
    let (status, body) = call(&server, Method::DELETE, "/faults/payments%20cut", None).await;
    assert_eq!((status, body["status"].clone()), (404, json!(404)), "closed already");
    let bad = server.http.put(format!("{}/faults/x", server.api)).json(&json!({ "kind": 1 })).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}
