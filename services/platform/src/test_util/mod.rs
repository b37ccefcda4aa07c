//! Test helpers (feature `test-util`): a real Postgres started by
//! testcontainers, shared by every test of a run, with a fresh database per
//! test so tests never see each other's rows.
//!
//! The container is named `testbed-test-postgres` and marked for reuse, so
//! consecutive test binaries (and runs) share one server instead of paying
//! for a start each time. `scripts/test.sh` removes it when the suite ends;
//! `docker rm -f testbed-test-postgres` does the same by hand.
//!
//! The image is `TESTBED_POSTGRES_IMAGE` (`name:tag`), by default the official
//! `postgres:15`; where no registry answers, the locally built
//! `testbed/postgres:15` (see `deploy/images/`).

use std::time::Duration;

use secrecy::SecretString;
use sqlx::{Connection, Executor, PgConnection};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ImageExt, ReuseDirective};
use tokio::sync::OnceCell;

use crate::config::DatabaseSettings;

pub mod prometheus;

const CONTAINER_NAME: &str = "testbed-test-postgres";
const PASSWORD: &str = "test-only-password";

static SERVER_URL: OnceCell<String> = OnceCell::const_new();

/// `postgres://...@host:port` of the shared test server, started on first use.
pub async fn postgres_server_url() -> &'static str {
    SERVER_URL.get_or_init(start_postgres).await
}

async fn start_postgres() -> String {
    let images = image_candidates("TESTBED_POSTGRES_IMAGE", "postgres:15", "testbed/postgres:15");
    // Another test binary may be creating the same container right now: its
    // name then clashes once, and the next attempt finds it for reuse.
    let mut last_error = None;
    for attempt in 0..5 {
        let image = &images[attempt % images.len()];
        let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
        let request = Postgres::default()
            .with_password(PASSWORD)
            .with_name(name)
            .with_tag(tag)
            .with_container_name(CONTAINER_NAME)
            .with_reuse(ReuseDirective::Always)
            .with_cmd(["-c", "fsync=off", "-c", "max_connections=600", "-c", "synchronous_commit=off"]);
        match request.start().await {
            Ok(container) => {
                let host = container.get_host().await.expect("container host").to_string();
                let port = container.get_host_port_ipv4(5432).await.expect("mapped port");
                let url = format!("postgres://postgres:{PASSWORD}@{host}:{port}");
                wait_until_accepting(&url).await;
                return url;
            }
            Err(error) => {
                last_error = Some(error.to_string());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    panic!("could not start any of {images:?}: {}", last_error.unwrap_or_default());
}

/// The image to use: `$var` when set; else the official image, then the
/// locally built one (deploy/images/) where no registry answers.
fn image_candidates(var: &str, official: &str, local: &str) -> Vec<String> {
    match std::env::var(var) {
        Ok(image) if !image.is_empty() => vec![image],
        _ => vec![official.to_owned(), local.to_owned()],
    }
}

/// A reused container may still be starting when another process finds it.
async fn wait_until_accepting(url: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match PgConnection::connect(&format!("{url}/postgres")).await {
            Ok(connection) => {
                let _ = connection.close().await;
                return;
            }
            Err(error) if tokio::time::Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("test Postgres does not accept connections: {error}"),
        }
    }
}

/// A fresh, empty database on the shared server, named after `prefix`.
pub async fn fresh_database(prefix: &str) -> DatabaseSettings {
    let server = postgres_server_url().await;
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&format!("{server}/postgres")).await.expect("connect to the test server");
    let create = format!(r#"CREATE DATABASE "{name}""#);
    admin.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(create))).await.expect("create test database");
    let _ = admin.close().await;
    DatabaseSettings {
        url: SecretString::from(format!("{server}/{name}")),
        max_connections: 5,
        acquire_timeout: Duration::from_secs(5),
    }
}

/// Logs of the code under test, shown only when `TEST_LOG` is set.
pub fn init_test_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings =
            crate::config::TelemetrySettings { log_filter: "debug,sqlx=warn,hyper=info".into(), traces: None };
        std::mem::forget(crate::telemetry::init_telemetry("test", &settings));
    }
}

/// Callers for tests, as the gateway would pass them.
pub fn customer() -> crate::Caller {
    crate::Caller { user_id: uuid::Uuid::new_v4(), role: crate::Role::Customer }
}

pub fn admin() -> crate::Caller {
    crate::Caller { user_id: uuid::Uuid::new_v4(), role: crate::Role::Admin }
}

/// Adds a caller's identity headers to a request.
pub trait WithCaller {
    fn with_caller(self, caller: &crate::Caller) -> Self;
}

impl WithCaller for reqwest::RequestBuilder {
    fn with_caller(self, caller: &crate::Caller) -> Self {
        let mut headers = axum::http::HeaderMap::new();
        caller.write_headers(&mut headers);
        self.headers(headers)
    }
}

/// Status and error code of an answer in the JSON error shape; panics (with
/// the body) when the answer is not in that shape.
pub async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: crate::error::ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not the JSON error shape ({e}): {status} {text}"));
    (status, body.error.code)
}

/// A client for black-box tests of one running service.
#[derive(Clone)]
pub struct TestClient {
    pub address: String,
    pub http: reqwest::Client,
}

impl TestClient {
    pub fn new(address: std::net::SocketAddr) -> Self {
        Self { address: format!("http://{address}"), http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request as `caller`, or anonymous with `None`.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        caller: Option<&crate::Caller>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match caller {
            Some(caller) => request.with_caller(caller),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, None).send().await.expect("request")
    }

    /// GET that must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    pub async fn get_as(&self, caller: &crate::Caller, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, Some(caller)).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, None).json(body).send().await.expect("request")
    }

    pub async fn post_as(&self, caller: &crate::Caller, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, Some(caller)).json(body).send().await.expect("request")
    }

    pub async fn put_as(
        &self,
        caller: Option<&crate::Caller>,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.request(reqwest::Method::PUT, path, caller).json(body).send().await.expect("request")
    }

    pub async fn patch_as(&self, caller: &crate::Caller, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.request(reqwest::Method::PATCH, path, Some(caller)).json(body).send().await.expect("request")
    }

    pub async fn delete_as(&self, caller: &crate::Caller, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path, Some(caller)).send().await.expect("request")
    }
}

/// Runs a built server in the background for the rest of the test.
pub fn serve_in_background<F>(server: F)
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = server.await {
            panic!("server under test failed: {error:#}");
        }
    });
}

/// `amqp://...` of a fresh virtual host on the shared test RabbitMQ, started
/// on first use (`TESTBED_RABBITMQ_IMAGE`, default `rabbitmq:3-management`;
/// the container `testbed-test-rabbitmq` is reused like the Postgres one).
/// A vhost per test keeps exchanges and queues of tests apart.
pub async fn fresh_broker() -> crate::messaging::BrokerSettings {
    let (amqp, management) = RABBITMQ.get_or_init(start_rabbitmq).await;
    let vhost = format!("test-{}", uuid::Uuid::new_v4().simple());
    let http = reqwest::Client::new();
    let put = |path: String, body: serde_json::Value| {
        let http = http.clone();
        async move {
            let response = http
                .put(format!("{management}{path}"))
                .basic_auth("guest", Some("guest"))
                .json(&body)
                .send()
                .await
                .expect("RabbitMQ management API");
            assert!(response.status().is_success(), "{path}: {}", response.status());
        }
    };
    put(format!("/api/vhosts/{vhost}"), serde_json::json!({})).await;
    put(format!("/api/permissions/{vhost}/guest"), serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"}))
        .await;
    crate::messaging::BrokerSettings { url: SecretString::from(format!("{amqp}/{vhost}")) }
}

static RABBITMQ: OnceCell<(String, String)> = OnceCell::const_new();

async fn start_rabbitmq() -> (String, String) {
    use testcontainers_modules::testcontainers::GenericImage;
    use testcontainers_modules::testcontainers::core::{IntoContainerPort, WaitFor};

    let images = image_candidates("TESTBED_RABBITMQ_IMAGE", "rabbitmq:3-management", "testbed/rabbitmq:3");
    let mut last_error = None;
    for attempt in 0..5 {
        let image = &images[attempt % images.len()];
        let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
        let request = GenericImage::new(name, tag)
            .with_exposed_port(5672.tcp())
            .with_exposed_port(15672.tcp())
            .with_wait_for(WaitFor::message_on_stdout("Server startup complete"))
            .with_container_name("testbed-test-rabbitmq")
            .with_reuse(ReuseDirective::Always);
        match request.start().await {
            Ok(container) => {
                let host = container.get_host().await.expect("host").to_string();
                let amqp = container.get_host_port_ipv4(5672).await.expect("amqp port");
                let http = container.get_host_port_ipv4(15672).await.expect("management port");
                let management = format!("http://{host}:{http}");
                wait_for_management(&management).await;
                return (format!("amqp://guest:guest@{host}:{amqp}"), management);
            }
            Err(error) => {
                last_error = Some(error.to_string());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    panic!("could not start any of {images:?}: {}", last_error.unwrap_or_default());
}

async fn wait_for_management(base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let http = reqwest::Client::new();
    loop {
        let ok = http
            .get(format!("{base}/api/overview"))
            .basic_auth("guest", Some("guest"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "RabbitMQ management API did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A TCP relay between a service and one of its dependencies that a test can
/// cut (every connection closed, new ones refused) and restore: the
/// dependency "goes down" without stopping a container other tests share.
pub struct TcpRelay {
    address: std::net::SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
}

impl TcpRelay {
    /// Starts relaying a random local port to `target` (`host:port`).
    pub async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let address = listener.local_addr().expect("relay address");
        let (up, _) = tokio::sync::watch::channel(true);
        let state = up.subscribe();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut state = state.clone();
                if !*state.borrow() {
                    drop(inbound); // down: refuse by closing at once
                    continue;
                }
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { address, up }
    }

    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// Closes every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

/// A free port on 127.0.0.1 for a server this test cannot hand an open
/// socket to (a Prometheus container, a child process given `--port`).
/// Taken below the kernel's ephemeral range (`ip_local_port_range`, from
/// 32768 on Linux), which every `bind(:0)` in the suite draws from, so no
/// other test can be handed it between this check and the server's bind;
/// each process walks its own stretch of ports, so parallel test binaries
/// do not pick the same one either.
pub fn port_for_a_server() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let stretch = (std::process::id() % 400) as u16 * 25;
    for _ in 0..1_000 {
        let port = 20_000 + (stretch + NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range");
}

/// An address on 127.0.0.1 where nothing listens, for as long as this
/// test process runs: connections to it are refused at once. The port stays
/// bound (a socket that never listens), so no other test can be handed it
/// and start answering there; binding and releasing a port would leave it
/// free for anyone.
pub fn closed_port() -> std::net::SocketAddr {
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket.bind("127.0.0.1:0".parse().expect("an address")).expect("bind 127.0.0.1:0");
    let address = socket.local_addr().expect("a bound address");
    // Kept until the process exits: the port must stay taken.
    std::mem::forget(socket);
    address
}

/// Rewrites the host:port of an `amqp://` URL to go through `relay`.
pub fn via_relay(url: &str, relay: &TcpRelay) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (credentials, host_and_path) = rest.rsplit_once('@').map_or(("", rest), |(c, h)| (c, h));
    let path = host_and_path.find('/').map_or("", |i| &host_and_path[i..]);
    let at = if credentials.is_empty() { String::new() } else { format!("{credentials}@") };
    format!("{scheme}://{at}{}{path}", relay.address())
}

/// The host:port of a URL (`amqp://u:p@host:port/vhost` -> `host:port`).
pub fn authority_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    host_and_path.split('/').next().unwrap_or_default().to_owned()
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

/// One span as an OTLP collector received it.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub name: String,
    /// OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    pub kind: i32,
    pub service: String,
    pub attributes: std::collections::HashMap<String, String>,
}

/// An OTLP/gRPC trace receiver inside the test: services export to
/// `endpoint()`, the test reads what arrived. Stands in for Jaeger, which
/// cannot run on machines without a registry.
#[derive(Clone)]
pub struct OtlpReceiver {
    endpoint: String,
    spans: std::sync::Arc<std::sync::Mutex<Vec<ReceivedSpan>>>,
}

impl OtlpReceiver {
    pub async fn start() -> Self {
        use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the OTLP receiver");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let receiver = Self { endpoint, spans: Default::default() };
        let service = TraceServiceServer::new(receiver.clone());
        tokio::spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let _ = tonic::transport::Server::builder().add_service(service).serve_with_incoming(incoming).await;
        });
        receiver
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans.lock().expect("poisoned").clone()
    }
}

#[tonic::async_trait]
impl opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService for OtlpReceiver {
    async fn export(
        &self,
        request: tonic::Request<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest>,
    ) -> Result<
        tonic::Response<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse>,
        tonic::Status,
    > {
        use opentelemetry_proto::tonic::common::v1::any_value::Value;
        let text = |value: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>| match value
            .as_ref()
            .and_then(|v| v.value.as_ref())
        {
            Some(Value::StringValue(s)) => s.clone(),
            Some(Value::IntValue(i)) => i.to_string(),
            Some(Value::BoolValue(b)) => b.to_string(),
            Some(Value::DoubleValue(d)) => d.to_string(),
            other => format!("{other:?}"),
        };
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let mut received = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .map(|a| text(&a.value))
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    received.push(ReceivedSpan {
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        name: span.name.clone(),
                        kind: span.kind,
                        service: service.clone(),
                        attributes: span.attributes.iter().map(|a| (a.key.clone(), text(&a.value))).collect(),
                    });
                }
            }
        }
        self.spans.lock().expect("poisoned").extend(received);
        Ok(tonic::Response::new(Default::default()))
    }
}

/// Log output captured in memory (a `MakeWriter` for the JSON log layer).
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Every line so far, parsed.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().expect("poisoned").clone();
        String::from_utf8_lossy(&bytes).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
