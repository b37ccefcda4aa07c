//! What the two pipes of one proxied connection share (`Link`), and how a
//! pipe ends. The connection is set up in `link.rs`; each direction's bytes
//! move in `pipe.rs`.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, watch};
use tokio::time::sleep;

use super::instance::Proxy;
use super::model::Stream;

/// What one connection's two pipes share.
pub(super) struct Link {
    pub(super) proxy: Arc<Proxy>,
    /// The client's write half; taken when the connection is reset.
    pub(super) client: Mutex<Option<OwnedWriteHalf>>,
    /// Set by an `http_abort` fault: the response is cut after this many bytes.
    pub(super) abort_after: std::sync::Mutex<Option<(String, u64)>>,
    /// Set to end both pipes (a reset, a kill).
    pub(super) stop: watch::Sender<bool>,
    /// This connection's counters, looked up once (not per chunk).
    pub(super) bytes_upstream: Counter,
    pub(super) bytes_downstream: Counter,
    pub(super) http_requests: Counter,
}

impl Link {
    /// Bytes written on `stream`, counted.
    pub(super) fn bytes(&self, stream: Stream) -> &Counter {
        if stream == Stream::Upstream { &self.bytes_upstream } else { &self.bytes_downstream }
    }

    /// Counts one use of a toxic.
    pub(super) fn fault(&self, toxic: &str, kind: &str) {
        self.proxy.fault(toxic, kind);
    }
}

/// How a pipe, and so the connection, ended.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(super) enum End {
    Closed,
    Reset,
}

/// Sleeps for `duration`; not at all for 0 (a zero-length tokio sleep still
/// waits for the timer's next 1 ms tick: a 0 ms latency toxic added 1.2 ms).
pub(super) async fn pause(duration: Duration) {
    if !duration.is_zero() {
        sleep(duration).await;
    }
}
