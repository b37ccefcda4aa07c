//! One direction of a proxied connection: reads, applies the toxics of its
//! direction, writes.
//!
//! While nothing shapes the direction (no latency, slicer or bandwidth) and
//! nothing waits, a chunk is written as soon as it is read. Otherwise it goes
//! through the [`Outbox`], which says when each piece may leave, and the pipe
//! goes on reading meanwhile: that is what keeps chunks in flight together.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::connection::{End, Link, pause};
use super::http::{self, Event, Requests};
use super::model::{HTTP_KINDS, Stream, Toxic};
use super::request_match::{self, Request};
use super::shaping::Outbox;
use super::toxics::{self, Active, Rolls};

/// A pipe's read buffer starts small (most connections carry small
/// messages) and doubles, up to `MAX_CHUNK`, each time a read fills it (a
/// bulk stream: fewer, larger reads and writes).
const CHUNK: usize = 16 * 1024;
const MAX_CHUNK: usize = 256 * 1024;

/// Where a pipe writes.
pub(super) enum Sink {
    /// The server's write half (client → server).
    Server(OwnedWriteHalf),
    /// The client's write half, shared with HTTP faults and resets.
    Client(Arc<Link>),
}

impl Sink {
    /// `false` when the peer is gone.
    async fn write_all(&mut self, data: &[u8]) -> bool {
        match self {
            Sink::Server(server) => server.write_all(data).await.is_ok(),
            Sink::Client(link) => match link.client.lock().await.as_mut() {
                Some(client) => client.write_all(data).await.is_ok(),
                None => false,
            },
        }
    }

    async fn shutdown(&mut self) {
        match self {
            Sink::Server(server) => {
                let _ = server.shutdown().await;
            }
            Sink::Client(link) => {
                if let Some(client) = link.client.lock().await.as_mut() {
                    let _ = client.shutdown().await;
                }
            }
        }
    }
}

/// Why a pipe stops reading; it ends once its outbox is written.
enum Ending {
    /// The source closed: close the destination (after `slow_close`).
    Eof,
    /// A toxic or fault cut the connection after these bytes.
    Cut(End),
}

pub(super) struct Pipe {
    link: Arc<Link>,
    stream: Stream,
    sink: Sink,
    outbox: Outbox,
    /// Bytes handed on so far (what `limit_data` counts).
    sent: u64,
    ending: Option<Ending>,
    /// Client → server on an HTTP connection: where requests start and end.
    requests: Option<Requests>,
    /// The request an HTTP fault answered: its body is not forwarded.
    skipping: Option<u64>,
    first: bool,
    /// Client → server: the connection's first bytes were an HTTP request.
    http: bool,
    /// The `timeout` toxic holding this direction now (counted once per hold).
    held_by: Option<String>,
}

impl Pipe {
    pub(super) fn new(link: Arc<Link>, stream: Stream, sink: Sink) -> Self {
        Self {
            link,
            stream,
            sink,
            outbox: Outbox::default(),
            sent: 0,
            ending: None,
            requests: None,
            skipping: None,
            first: true,
            http: false,
            held_by: None,
        }
    }

    pub(super) async fn run(mut self, mut src: OwnedReadHalf) -> End {
        let mut toxics_rx = self.link.proxy.watch_toxics();
        let mut stop = self.link.stop.subscribe();
        let mut rolls = Rolls::default();
        let mut timers = Timers::default();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let toxics = toxics_rx.borrow_and_update().clone();
            let active = toxics::active(&toxics, self.stream, &mut rolls);
            timers.update(&active);
            if *stop.borrow() {
                return End::Closed;
            }
            if timers.next().is_some_and(|at| at <= Instant::now())
                && let Some(end) = deadline_hit(&self.link, &timers, self.stream)
            {
                return end;
            }
            if self.outbox.is_empty() && self.ending.is_none() && active.is_empty() && !http_faults(&toxics) {
                match self.fast(&mut src, &mut buf, &mut toxics_rx, &mut stop).await {
                    Fast::Changed => continue,
                    Fast::Eof => self.ending = Some(Ending::Eof),
                    Fast::PeerGone => return self.stop(End::Closed),
                }
                continue;
            }
            // A `timeout` toxic holds the direction: nothing is read or
            // written (the sender is held back by TCP's flow control) until
            // the toxic goes, or its timeout ends the connection.
            if let Some((name, _)) = &active.timeout {
                if self.held_by.as_ref() != Some(name) {
                    self.link.fault(name, "timeout");
                    self.held_by = Some(name.clone());
                }
                match next_event(&mut src, &mut buf, false, &mut toxics_rx, &mut stop, timers.next(), None).await {
                    Wake::ToxicsChanged => self.outbox.replan(),
                    Wake::Stop => return End::Closed,
                    _ => {}
                }
                continue;
            }
            self.held_by = None;
            // Write what is due before reading more (no timer for it: a
            // tokio sleep that is already over still waits for the next tick).
            let write_at = match self.outbox.next(&active) {
                Some(piece) if piece.at <= Instant::now() => {
                    if let Err(end) = self.write_piece(&active).await {
                        return self.stop(end);
                    }
                    continue;
                }
                Some(piece) => Some(piece.at),
                None => match self.ending.take() {
                    Some(Ending::Eof) => {
                        slow_close(&self.link, &active).await;
                        self.sink.shutdown().await;
                        return End::Closed;
                    }
                    Some(Ending::Cut(end)) => return self.stop(end),
                    None => None,
                },
            };
            let reading = self.ending.is_none() && self.outbox.has_room();
            let wake =
                next_event(&mut src, &mut buf, reading, &mut toxics_rx, &mut stop, timers.next(), write_at).await;
            match wake {
                Wake::Data(n) => {
                    if let Err(end) = self.read(&toxics, &active, &buf[..n]).await {
                        return self.stop(end);
                    }
                }
                Wake::Eof => self.ending = Some(Ending::Eof),
                Wake::ToxicsChanged => self.outbox.replan(),
                Wake::Stop => return End::Closed,
                Wake::Deadline | Wake::Write => {}
            }
        }
    }

    /// Ends the pipe, and tells the other one to end too.
    fn stop(&self, end: End) -> End {
        self.link.stop.send_replace(true);
        end
    }

    /// What is done with bytes just read, per direction.
    async fn read(&mut self, toxics: &[Toxic], active: &Active, data: &[u8]) -> Result<(), End> {
        match self.stream {
            Stream::Upstream => self.read_requests(toxics, active, data).await,
            Stream::Downstream => {
                let abort = self.link.abort_after.lock().expect("poisoned").take();
                let Some((name, after)) = abort else {
                    return self.hand_on(active, data).await;
                };
                tracing::debug!(proxy = %self.link.proxy.name(), toxic = %name, "aborting the response");
                self.hand_on(active, &data[..(after as usize).min(data.len())]).await?;
                self.ending.get_or_insert(Ending::Cut(End::Reset));
                Ok(())
            }
        }
    }

    /// Client → server: finds the requests (on an HTTP connection), so that
    /// HTTP faults can answer or delay them.
    async fn read_requests(&mut self, toxics: &[Toxic], active: &Active, data: &[u8]) -> Result<(), End> {
        self.note_http(data);
        if !self.http {
            return self.hand_on(active, data).await;
        }
        if !http_faults(toxics) {
            // No HTTP fault: no parsing, requests counted by their request lines.
            self.requests = None;
            self.count_request_line(data);
            return self.hand_on(active, data).await;
        }
        if self.requests.is_none() {
            // A fault came while the connection was not parsed: parsing
            // starts with the next read that starts with a request line
            // (an HTTP/1.1 client writes a request at a time).
            if !http::looks_like_http(data) {
                return self.hand_on(active, data).await;
            }
            self.requests = Some(Requests::default());
        }
        let Some(parser) = self.requests.as_mut() else {
            return self.hand_on(active, data).await;
        };
        for event in parser.push(data) {
            let bytes = match event {
                Event::Raw(bytes) => bytes,
                Event::Body { request, bytes } => {
                    if self.skipping == Some(request) {
                        continue;
                    }
                    bytes
                }
                Event::Head { request, method, path, bytes } => {
                    self.link.http_requests.inc();
                    let head = Request { method: &method, path: &path, head: &bytes };
                    if answer_with_fault(&self.link, toxics, &head).await {
                        self.skipping = Some(request);
                        continue;
                    }
                    bytes
                }
            };
            self.hand_on(active, &bytes).await?;
            if self.ending.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Client → server: whether the connection speaks HTTP, from its first bytes.
    fn note_http(&mut self, data: &[u8]) {
        if std::mem::take(&mut self.first) {
            self.http = self.stream == Stream::Upstream && http::looks_like_http(data);
        }
    }

    /// Counts a request by its request line at the start of a read: exact
    /// for clients that write a request at a time, without parsing.
    fn count_request_line(&self, data: &[u8]) {
        if self.http && http::looks_like_http(data) {
            self.link.http_requests.inc();
        }
    }

    /// The fast path: no toxic on this direction and no HTTP fault on the
    /// proxy, so bytes go from read to write with nothing in between — no
    /// outbox, no parsing, no timer, the writer taken once — until the
    /// toxics change or the connection is told to stop.
    async fn fast(
        &mut self,
        src: &mut OwnedReadHalf,
        buf: &mut Vec<u8>,
        toxics: &mut watch::Receiver<Arc<Vec<Toxic>>>,
        stop: &mut watch::Receiver<bool>,
    ) -> Fast {
        // Registered once for the whole stretch, not once per read.
        let changed = async {
            tokio::select! {
                _ = toxics.changed() => {}
                _ = stop.changed() => {}
            }
        };
        tokio::pin!(changed);
        let link = self.link.clone();
        let mut client = None;
        let writer: &mut OwnedWriteHalf = match &mut self.sink {
            Sink::Server(server) => server,
            // Held while on the fast path: an HTTP fault that would write to
            // the client ends the fast path first (its toxics changed).
            Sink::Client(_) => match client.insert(link.client.lock().await).as_mut() {
                Some(client) => client,
                None => return Fast::PeerGone,
            },
        };
        let bytes = link.bytes(self.stream);
        loop {
            let n = tokio::select! {
                biased;
                _ = &mut changed => return Fast::Changed,
                read = src.read(buf.as_mut_slice()) => match read {
                    Ok(0) | Err(_) => return Fast::Eof,
                    Ok(n) => n,
                },
            };
            let data = &buf[..n];
            if std::mem::take(&mut self.first) {
                self.http = self.stream == Stream::Upstream && http::looks_like_http(data);
            }
            if self.http && http::looks_like_http(data) {
                link.http_requests.inc();
            }
            if writer.write_all(data).await.is_err() {
                return Fast::PeerGone;
            }
            bytes.inc_by(n as u64);
            if n == buf.len() && buf.len() < MAX_CHUNK {
                buf.resize(buf.len() * 2, 0);
            }
        }
    }

    /// Applies `limit_data`, then writes `data` at once or queues it.
    async fn hand_on(&mut self, active: &Active, data: &[u8]) -> Result<(), End> {
        let mut data = data;
        if let Some((name, limit)) = &active.limit_data {
            let allowed = limit.saturating_sub(self.sent) as usize;
            if data.len() >= allowed {
                self.link.fault(name, "limit_data");
                data = &data[..allowed];
                self.ending.get_or_insert(Ending::Cut(End::Closed));
            }
        }
        self.sent += data.len() as u64;
        if data.is_empty() {
            return Ok(());
        }
        if !active.shapes() && self.outbox.is_empty() {
            if !self.sink.write_all(data).await {
                return Err(End::Closed);
            }
            self.link.bytes(self.stream).inc_by(data.len() as u64);
            return Ok(());
        }
        for (name, _, _) in &active.latency {
            self.link.fault(name, "latency");
        }
        if let Some((name, ..)) = &active.slicer {
            self.link.fault(name, "slicer");
        }
        if let Some((name, _)) = &active.bandwidth {
            self.link.fault(name, "bandwidth");
        }
        self.outbox.push(Instant::now(), data.to_vec());
        Ok(())
    }

    /// Writes the outbox's next piece, which is due.
    async fn write_piece(&mut self, active: &Active) -> Result<(), End> {
        let piece = self.outbox.piece();
        if !self.sink.write_all(piece).await {
            return Err(End::Closed);
        }
        self.link.bytes(self.stream).inc_by(piece.len() as u64);
        self.outbox.written(Instant::now(), active.bandwidth.is_some());
        Ok(())
    }
}

/// How the fast path ended.
enum Fast {
    /// The toxics changed, or the connection is stopping: look again.
    Changed,
    Eof,
    /// The destination is gone.
    PeerGone,
}

/// Whether any HTTP fault is set on the proxy (then requests are parsed).
fn http_faults(toxics: &[Toxic]) -> bool {
    toxics.iter().any(|t| HTTP_KINDS.contains(&t.kind.as_str()))
}

/// Applies the HTTP faults matching this request. `true` when a fault
/// answered it (the request must not reach the server).
async fn answer_with_fault(link: &Link, toxics: &[Toxic], request: &Request<'_>) -> bool {
    for toxic in toxics.iter().filter(|t| HTTP_KINDS.contains(&t.kind.as_str())) {
        if !request_match::matches(toxic, request) {
            continue;
        }
        // For HTTP faults toxicity is the share of matching requests.
        if !(toxic.toxicity >= 1.0 || (toxic.toxicity > 0.0 && rand::random::<f64>() < toxic.toxicity)) {
            continue;
        }
        link.fault(&toxic.name, &toxic.kind);
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
    Write,
    Stop,
}

async fn next_event(
    src: &mut OwnedReadHalf,
    buf: &mut [u8],
    reading: bool,
    toxics: &mut watch::Receiver<Arc<Vec<Toxic>>>,
    stop: &mut watch::Receiver<bool>,
    deadline: Option<Instant>,
    write_at: Option<Instant>,
) -> Wake {
    tokio::select! {
        read = src.read(buf), if reading => match read { Ok(0) | Err(_) => Wake::Eof, Ok(n) => Wake::Data(n) },
        _ = toxics.changed() => Wake::ToxicsChanged,
        _ = stop.changed() => Wake::Stop,
        _ = at(deadline) => Wake::Deadline,
        _ = at(write_at) => Wake::Write,
    }
}

/// Sleeps until `when`; forever when there is none (no timer is registered:
/// one per read would cost on every chunk).
async fn at(when: Option<Instant>) {
    match when {
        Some(when) => sleep_until(when).await,
        None => std::future::pending().await,
    }
}

/// A `slow_close` toxic holds the end of the stream back.
async fn slow_close(link: &Link, active: &Active) {
    if let Some((name, delay)) = &active.slow_close {
        link.fault(name, "slow_close");
        pause(Duration::from_millis(*delay)).await;
    }
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
        link.fault(name, "reset_peer");
        tracing::debug!(proxy = %link.proxy.name(), stream = stream.as_str(), "reset_peer fired");
        return Some(End::Reset);
    }
    if let Some((name, at)) = &timers.timeout
        && *at <= now
    {
        link.fault(name, "timeout");
        return Some(End::Reset);
    }
    None
}
