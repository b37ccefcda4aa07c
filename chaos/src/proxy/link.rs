//! One proxied connection: two pipes (client → server, server → client),
//! each applying the toxics of its direction to the bytes it moves, and
//! re-reading them whenever they change, so a toxic added now acts on
//! connections already open.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, watch};
use tokio::time::{Instant, sleep, sleep_until};

use super::http::{self, Event, Requests};
use super::metrics::{BytesLabels, ProxyLabels};
use super::model::{HTTP_KINDS, Stream, Toxic};
use super::registry::Proxy;
use super::toxics::{self, Active, Rolls};

const CHUNK: usize = 64 * 1024;

/// What one connection's two pipes share.
struct Link {
    proxy: Arc<Proxy>,
    /// The client's write half; taken when the connection is reset.
    client: Mutex<Option<OwnedWriteHalf>>,
    /// Set by an `http_abort` fault: the response is cut after this many bytes.
    abort_after: std::sync::Mutex<Option<(String, u64)>>,
    /// Set to end both pipes (a reset, a kill).
    stop: watch::Sender<bool>,
    /// This connection's counters, looked up once (not per chunk).
    bytes_upstream: Counter,
    bytes_downstream: Counter,
    http_requests: Counter,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum End {
    Closed,
    Reset,
}

pub async fn serve(proxy: Arc<Proxy>, client: TcpStream) {
    let labels = ProxyLabels { proxy: proxy.name.clone() };
    proxy.metrics.connections.get_or_create(&labels).inc();
    let mut generation = proxy.generation.subscribe();
    generation.borrow_and_update();
    let upstream = proxy.upstream();
    let server = match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&upstream)).await {
        Ok(Ok(server)) => server,
        _ => {
            proxy.metrics.upstream_failures.get_or_create(&labels).inc();
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let active = proxy.metrics.active_connections.get_or_create(&labels).clone();
    active.inc();

    // One lookup per statement: a family's read guard lives to the end of
    // its statement, and a second lookup that must insert would wait on it.
    let bytes_upstream =
        counter(&proxy.metrics.bytes, BytesLabels { proxy: proxy.name.clone(), direction: "upstream" });
    let bytes_downstream =
        counter(&proxy.metrics.bytes, BytesLabels { proxy: proxy.name.clone(), direction: "downstream" });
    let http_requests = counter(&proxy.metrics.http_requests, labels.clone());
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let link = Arc::new(Link {
        proxy: proxy.clone(),
        client: Mutex::new(Some(client_write)),
        abort_after: std::sync::Mutex::new(None),
        stop: watch::channel(false).0,
        bytes_upstream,
        bytes_downstream,
        http_requests,
    });
    let up = upstream_pipe(link.clone(), client_read, server_write);
    let down = downstream_pipe(link.clone(), server_read);
    let end = tokio::select! {
        (a, b) = async { tokio::join!(up, down) } => if a == End::Reset || b == End::Reset { End::Reset } else { End::Closed },
        _ = generation.changed() => End::Reset,
    };
    if end == End::Reset {
        reset(&link).await;
    }
    active.dec();
}

fn counter<L>(family: &Family<L, Counter>, labels: L) -> Counter
where
    L: Clone + std::hash::Hash + Eq,
{
    family.get_or_create(&labels).clone()
}

/// Sleeps for `duration`; not at all for 0 (a zero-length tokio sleep still
/// waits for the timer's next 1 ms tick: a 0 ms latency toxic added 1.2 ms).
async fn pause(duration: Duration) {
    if !duration.is_zero() {
        sleep(duration).await;
    }
}

/// Closes the client's connection with a TCP RST ("connection reset by peer").
async fn reset(link: &Link) {
    link.stop.send_replace(true);
    if let Some(client) = link.client.lock().await.take() {
        let stream: &TcpStream = client.as_ref();
        let _ = stream.set_zero_linger();
        // Not shut down first (that would send a FIN): closing with a zero
        // linger sends the RST.
        client.forget();
    }
}

/// A deadline from a time-based toxic (timeout, reset_peer), counted from
/// when this pipe first saw it.
#[derive(Default)]
struct Timers {
    timeout: Option<(String, Instant)>,
    reset: Option<(String, Instant)>,
}

impl Timers {
    fn update(&mut self, active: &Active) {
        self.timeout = match (&active.timeout, self.timeout.take()) {
            (Some((name, ms)), Some((seen, at))) if *name == seen => Some((seen, at)).filter(|_| *ms > 0),
            (Some((name, ms)), _) if *ms > 0 => Some((name.clone(), Instant::now() + Duration::from_millis(*ms))),
            _ => None,
        };
        self.reset = match (&active.reset_peer, self.reset.take()) {
            (Some((name, _)), Some((seen, at))) if *name == seen => Some((seen, at)),
            (Some((name, ms)), _) => Some((name.clone(), Instant::now() + Duration::from_millis(*ms))),
            _ => None,
        };
    }

    fn next(&self) -> Option<Instant> {
        [self.timeout.as_ref().map(|t| t.1), self.reset.as_ref().map(|t| t.1)].into_iter().flatten().min()
    }
}

enum Wake {
    Data(usize),
    Eof,
    ToxicsChanged,
    Deadline,
    Stop,
}

async fn next_event(
    src: &mut OwnedReadHalf,
    buf: &mut [u8],
    toxics: &mut watch::Receiver<Arc<Vec<Toxic>>>,
    stop: &mut watch::Receiver<bool>,
    deadline: Option<Instant>,
) -> Wake {
    // No deadline, no timer: registering one per read costs on every chunk.
    let deadline = async {
        match deadline {
            Some(at) => sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        read = src.read(buf) => match read { Ok(0) | Err(_) => Wake::Eof, Ok(n) => Wake::Data(n) },
        _ = toxics.changed() => Wake::ToxicsChanged,
        _ = stop.changed() => Wake::Stop,
        _ = deadline => Wake::Deadline,
    }
}

/// A `slow_close` toxic holds the end of the stream back.
async fn slow_close(link: &Link, active: &Active) {
    if let Some((name, delay)) = &active.slow_close {
        link.proxy.metrics.fault(&link.proxy.name, name, "slow_close");
        pause(Duration::from_millis(*delay)).await;
    }
}

/// A `timeout` toxic lets nothing through: the data read is dropped.
fn swallowed_by_timeout(link: &Link, active: &Active) -> bool {
    if let Some((name, _)) = &active.timeout {
        link.proxy.metrics.fault(&link.proxy.name, name, "timeout");
        return true;
    }
    false
}

/// What the pipe decided about an expired deadline; when it ends the
/// connection, both pipes are told to stop.
fn deadline_hit(link: &Link, timers: &Timers, stream: Stream) -> Option<End> {
    let end = deadline_end(link, timers, stream);
    if end.is_some() {
        link.stop.send_replace(true);
    }
    end
}

fn deadline_end(link: &Link, timers: &Timers, stream: Stream) -> Option<End> {
    let now = Instant::now();
    if let Some((name, at)) = &timers.reset
        && *at <= now
    {
        link.proxy.metrics.fault(&link.proxy.name, name, "reset_peer");
        tracing::debug!(proxy = %link.proxy.name, stream = stream.as_str(), "reset_peer fired");
        return Some(End::Reset);
    }
    if let Some((name, at)) = &timers.timeout
        && *at <= now
    {
        link.proxy.metrics.fault(&link.proxy.name, name, "timeout");
        return Some(End::Reset);
    }
    None
}

/// Applies the byte-level toxics to `data` and writes it with `write`.
async fn deliver<W>(
    link: &Link,
    stream: Stream,
    active: &Active,
    sent: &mut u64,
    data: &[u8],
    write: &mut W,
) -> Option<End>
where
    W: AsyncWriteExt + Unpin,
{
    for (name, latency, jitter) in &active.latency {
        link.proxy.metrics.fault(&link.proxy.name, name, "latency");
        pause(toxics::delay(*latency, *jitter)).await;
    }
    let mut data = data;
    let mut truncated = false;
    if let Some((name, limit)) = &active.limit_data {
        let allowed = limit.saturating_sub(*sent) as usize;
        if data.len() >= allowed {
            link.proxy.metrics.fault(&link.proxy.name, name, "limit_data");
            data = &data[..allowed];
            truncated = true;
        }
    }
    let pieces = match &active.slicer {
        Some((name, average, variation, _)) => {
            link.proxy.metrics.fault(&link.proxy.name, name, "slicer");
            toxics::slices(data.len(), *average, *variation)
        }
        None => vec![data.len()],
    };
    if let Some((name, _)) = &active.bandwidth {
        link.proxy.metrics.fault(&link.proxy.name, name, "bandwidth");
    }
    let mut offset = 0;
    for (i, size) in pieces.into_iter().enumerate() {
        if i > 0
            && let Some((_, _, _, delay_us)) = &active.slicer
        {
            pause(Duration::from_micros(*delay_us)).await;
        }
        let piece = &data[offset..offset + size];
        offset += size;
        if let Some((_, rate)) = &active.bandwidth {
            pause(toxics::transfer_time(piece.len(), *rate)).await;
        }
        if write.write_all(piece).await.is_err() {
            return Some(End::Closed);
        }
        *sent += piece.len() as u64;
        let bytes = if stream == Stream::Upstream { &link.bytes_upstream } else { &link.bytes_downstream };
        bytes.inc_by(piece.len() as u64);
    }
    truncated.then_some(End::Closed)
}

async fn upstream_pipe(link: Arc<Link>, mut src: OwnedReadHalf, mut dst: OwnedWriteHalf) -> End {
    let mut toxics_rx = link.proxy.toxics.subscribe();
    let mut stop = link.stop.subscribe();
    let mut rolls = Rolls::default();
    let mut timers = Timers::default();
    let mut requests: Option<Requests> = None;
    let mut first = true;
    let mut skipping: Option<u64> = None;
    let mut sent = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let toxics = toxics_rx.borrow_and_update().clone();
        let active = toxics::active(&toxics, Stream::Upstream, &mut rolls);
        timers.update(&active);
        let n = match next_event(&mut src, &mut buf, &mut toxics_rx, &mut stop, timers.next()).await {
            Wake::Data(n) => n,
            Wake::Eof => {
                slow_close(&link, &active).await;
                let _ = dst.shutdown().await;
                return End::Closed;
            }
            Wake::ToxicsChanged => continue,
            Wake::Stop => return End::Closed,
            Wake::Deadline => match deadline_hit(&link, &timers, Stream::Upstream) {
                Some(end) => return end,
                None => continue,
            },
        };
        if swallowed_by_timeout(&link, &active) {
            continue;
        }
        let data = &buf[..n];
        if first {
            first = false;
            if http::looks_like_http(data) {
                requests = Some(Requests::default());
            }
        }
        let Some(parser) = requests.as_mut() else {
            if let Some(end) = deliver(&link, Stream::Upstream, &active, &mut sent, data, &mut dst).await {
                link.stop.send_replace(true);
                return end;
            }
            continue;
        };
        for event in parser.push(data) {
            let bytes = match event {
                Event::Raw(bytes) => bytes,
                Event::Body { request, bytes } => {
                    if skipping == Some(request) {
                        continue;
                    }
                    bytes
                }
                Event::Head { request, method, path, bytes } => {
                    link.http_requests.inc();
                    if answer_with_fault(&link, &toxics, &mut rolls, &method, &path).await {
                        skipping = Some(request);
                        continue;
                    }
                    bytes
                }
            };
            if let Some(end) = deliver(&link, Stream::Upstream, &active, &mut sent, &bytes, &mut dst).await {
                link.stop.send_replace(true);
                return end;
            }
        }
    }
}

/// Applies the HTTP faults matching this request. `true` when a fault
/// answered it (the request must not reach the server).
async fn answer_with_fault(link: &Link, toxics: &[Toxic], _rolls: &mut Rolls, method: &str, path: &str) -> bool {
    for toxic in toxics.iter().filter(|t| HTTP_KINDS.contains(&t.kind.as_str())) {
        let method_matches = toxic.text("method").is_empty() || toxic.text("method").eq_ignore_ascii_case(method);
        if !method_matches || !path.starts_with(toxic.text("path_prefix")) {
            continue;
        }
        // For HTTP faults toxicity is the share of matching requests.
        if !(toxic.toxicity >= 1.0 || (toxic.toxicity > 0.0 && rand::random::<f64>() < toxic.toxicity)) {
            continue;
        }
        link.proxy.metrics.fault(&link.proxy.name, &toxic.name, &toxic.kind);
        match toxic.kind.as_str() {
            "http_latency" => pause(toxics::delay(toxic.number("latency"), toxic.number("jitter"))).await,
            "http_abort" => {
                *link.abort_after.lock().expect("poisoned") = Some((toxic.name.clone(), toxic.number("after_bytes")));
            }
            "http_status" => {
                let response = http::response(toxic.number("status") as u16, toxic.text("body"), &toxic.name);
                if let Some(client) = link.client.lock().await.as_mut() {
                    let _ = client.write_all(&response).await;
                }
                return true;
            }
            _ => {}
        }
    }
    false
}

async fn downstream_pipe(link: Arc<Link>, mut src: OwnedReadHalf) -> End {
    let mut toxics_rx = link.proxy.toxics.subscribe();
    let mut stop = link.stop.subscribe();
    let mut rolls = Rolls::default();
    let mut timers = Timers::default();
    let mut sent = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let toxics = toxics_rx.borrow_and_update().clone();
        let active = toxics::active(&toxics, Stream::Downstream, &mut rolls);
        timers.update(&active);
        let n = match next_event(&mut src, &mut buf, &mut toxics_rx, &mut stop, timers.next()).await {
            Wake::Data(n) => n,
            Wake::Eof => {
                slow_close(&link, &active).await;
                if let Some(client) = link.client.lock().await.as_mut() {
                    let _ = client.shutdown().await;
                }
                return End::Closed;
            }
            Wake::ToxicsChanged => continue,
            Wake::Stop => return End::Closed,
            Wake::Deadline => match deadline_hit(&link, &timers, Stream::Downstream) {
                Some(end) => return end,
                None => continue,
            },
        };
        if swallowed_by_timeout(&link, &active) {
            continue;
        }
        let mut data = &buf[..n];
        let abort = link.abort_after.lock().expect("poisoned").take();
        if let Some((name, after)) = &abort {
            data = &data[..(*after as usize).min(data.len())];
            tracing::debug!(proxy = %link.proxy.name, toxic = %name, "aborting the response");
        }
        let mut client = link.client.lock().await;
        let Some(writer) = client.as_mut() else { return End::Closed };
        let end = deliver(&link, Stream::Downstream, &active, &mut sent, data, writer).await;
        drop(client);
        if abort.is_some() {
            // The other pipe may be waiting on the client: end it too.
            link.stop.send_replace(true);
            return End::Reset;
        }
        if let Some(end) = end {
            link.stop.send_replace(true);
            return end;
        }
    }
}
