//! Dependencies that go down on demand, and ports nobody answers on.

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
