//! Open-loop against closed-loop, through a shop that stalls: real
//! `shop-load` runs against the whole shop in this test, behind a gate that
//! holds every request for two seconds once the load is under way.
//!
//! What is proven is coordinated omission and its cure: the closed-loop
//! users are held by the stall, ask nothing while it lasts, and record it as
//! at most one slow request each; the open-loop arrivals due during the
//! stall keep coming and each records the wait from when it was due. No
//! latency target is asserted.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::{logged_latencies, workdir};
use e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Options, Shop};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// How the load's requests are told from the set-up's (`x-load-test`).
const MARK: &[u8] = b"x-load-test:";

/// A TCP relay in front of the gateway whose requests can be held: while
/// the gate is shut, bytes towards the shop wait (answers already under
/// way still flow), so the shop looks stalled to its clients.
struct Gate {
    address: std::net::SocketAddr,
    open: watch::Sender<bool>,
    /// Load requests (those with `x-load-test`) gone through towards the shop.
    load_requests: watch::Receiver<u64>,
}

impl Gate {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (open, gate) = watch::channel(true);
        let (count, load_requests) = watch::channel(0u64);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else { continue };
                let (mut client_reads, mut client_writes) = inbound.into_split();
                let (mut shop_reads, mut shop_writes) = outbound.into_split();
                let (mut gate, count) = (gate.clone(), count.clone());
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 16 * 1024];
                    loop {
                        let Ok(n @ 1..) = client_reads.read(&mut buffer).await else { return };
                        if gate.wait_for(|open| *open).await.is_err() {
                            return;
                        }
                        if shop_writes.write_all(&buffer[..n]).await.is_err() {
                            return;
                        }
                        let marked = buffer[..n].windows(MARK.len()).filter(|w| *w == MARK).count();
                        count.send_modify(|c| *c += marked as u64);
                    }
                });
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut shop_reads, &mut client_writes).await;
                });
            }
        });
        Self { address, open, load_requests }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Once `requests` more load requests have gone through, holds every
    /// request for `stall`.
    async fn stall_after(&self, requests: u64, stall: Duration) {
        let mut sent = self.load_requests.clone();
        let target = *sent.borrow() + requests;
        let under_way = tokio::time::timeout(Duration::from_secs(120), sent.wait_for(|n| *n >= target));
        under_way.await.expect("the load got under way").unwrap();
        self.open.send_replace(false);
        // The fault itself lasts this long: a duration, not a wait for something.
        tokio::time::sleep(stall).await;
        self.open.send_replace(true);
    }
}

async fn shop_load(dir: &Path, host: &str, args: &[&str]) -> Output {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shop-load"))
        .args(args)
        .args(["--host", host, "--request-log", "requests.json", "--request-format", "json"])
        .env("LOAD_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LOAD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("shop-load runs");
    let log = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{log}");
    output
}

#[tokio::test]
async fn an_open_loop_run_records_a_stall_that_a_closed_loop_run_hides() {
    let shop = Shop::start(Options::default()).await;
    let gate = Gate::start(shop.gateway.address.trim_start_matches("http://").to_owned()).await;
    let stall = Duration::from_secs(2);
    // The stall comes once the load proper is under way.
    let under_way = 20;
    let through_the_gate = gate.url();

    // Closed loop: two browsing users, as goose runs them.
    let closed = workdir("closed");
    let users = 2;
    let closed_run = shop_load(
        &closed,
        &through_the_gate,
        &["--profile", "smoke", "--no-thresholds", "--test-plan", "2,1s;2,8s;0,1s", "--scenarios", "anonymousbrowsing"],
    );
    let (_, ()) = tokio::join!(closed_run, gate.stall_after(under_way, stall));
    let closed_latencies = logged_latencies(&closed.join("requests.json"));

    // Open loop: 40 arrivals a second, whatever the shop does.
    let open = workdir("open");
    let open_run = shop_load(
        &open,
        &through_the_gate,
        &["--profile", "smoke", "--no-thresholds", "--arrival-rate", "40,0s;40,8s"],
    );
    let (_, ()) = tokio::join!(open_run, gate.stall_after(under_way, stall));
    let open_latencies = logged_latencies(&open.join("requests.json"));

    let stalled = |latencies: &[f64]| latencies.iter().filter(|&&s| s >= stall.as_secs_f64() / 2.0).count();
    let (closed_slow, open_slow) = (stalled(&closed_latencies), stalled(&open_latencies));
    eprintln!(
        "requests waiting ≥ 1 s: closed loop {closed_slow} of {}, open loop {open_slow} of {}",
        closed_latencies.len(),
        open_latencies.len()
    );
    // Each closed-loop user was caught by the stall once at most.
    assert!(closed_slow <= users, "closed loop: {closed_slow} slow requests");
    // Arrivals were due all through the stall: those due in its first half
    // (40/s × 1 s) each waited at least a second.
    assert!(open_slow >= 30, "open loop: only {open_slow} requests waited a second or more");
    assert!(open_latencies.len() >= 300, "the arrivals kept coming: {}", open_latencies.len());
}
