//! One proxied connection: set up, then two pipes (client → server, server
//! → client, in `pipe.rs`) sharing a `Link` (`connection.rs`), each applying
//! the toxics of its direction to the bytes it moves, and re-reading them
//! whenever they change, so a toxic added now acts on connections already
//! open.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, watch};

use super::connection::{End, Link};
use super::instance::Proxy;
use super::metrics::BytesLabels;
use super::model::Stream;
use super::pipe::{Pipe, Sink};

pub async fn serve(proxy: Arc<Proxy>, client: TcpStream) {
    let labels = proxy.labels();
    let metrics = proxy.metrics();
    metrics.connections.get_or_create(&labels).inc();
    let mut closings = proxy.watch_closings();
    let upstream = proxy.upstream();
    let server = match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&upstream)).await {
        Ok(Ok(server)) => server,
        _ => {
            metrics.upstream_failures.get_or_create(&labels).inc();
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let active = metrics.active_connections.get_or_create(&labels).clone();
    active.inc();

    // One lookup per statement: a family's read guard lives to the end of
    // its statement, and a second lookup that must insert would wait on it.
    let bytes_upstream = counter(&metrics.bytes, BytesLabels { proxy: labels.proxy.clone(), direction: "upstream" });
    let bytes_downstream =
        counter(&metrics.bytes, BytesLabels { proxy: labels.proxy.clone(), direction: "downstream" });
    let http_requests = counter(&metrics.http_requests, labels.clone());
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
    let up = Pipe::new(link.clone(), Stream::Upstream, Sink::Server(server_write)).run(client_read);
    let down = Pipe::new(link.clone(), Stream::Downstream, Sink::Client(link.clone())).run(server_read);
    let end = tokio::select! {
        (a, b) = async { tokio::join!(up, down) } => if a == End::Reset || b == End::Reset { End::Reset } else { End::Closed },
        _ = closings.changed() => End::Reset,
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
