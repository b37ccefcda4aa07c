//! `chaos-bench`: what chaos-proxy costs when it injects nothing, beside a
//! direct connection and haproxy in TCP mode.
//!
//! Starts, on 127.0.0.1 only, an HTTP upstream and a bulk-data upstream in
//! this process, `chaos-proxy` as its own process (as in compose) and, when
//! it is installed, `haproxy` in TCP mode (Debian's package: `apt-get
//! install haproxy`) in front of the same upstreams; then measures each
//! workload on every side, the sides' order rotated round by round, and
//! prints medians and spread side by side:
//!
//! - small requests at saturation (keep-alive clients, no pause): req/s, p50, p99;
//! - small requests at a fixed moderate rate: p50 and p99, and the p50 the proxy adds;
//! - bulk transfer on one connection: MB/s;
//! - the same fixed rate through a `latency` toxic of 0 ms (the toxic machinery's own cost);
//! - every workload again with a toxic on the *other* direction (client →
//!   server), which must cost the direction that carries the answers nothing.
//!
//! ```text
//! cargo run --release -p chaos --bin chaos-bench -- [--rounds N] [--seconds S] [--json FILE]
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::get;
use clap::Parser;
use serde_json::{Value, json};
use stats::Spread;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONCURRENCY: usize = 32;
const MODERATE_RATE: u64 = 500;
const BULK_BYTES: usize = 256 * 1024 * 1024;

/// What chaos-proxy costs when it injects nothing: each workload direct,
/// through haproxy (TCP mode) and through the proxy, sides rotated round by round.
#[derive(Parser, Debug)]
#[command(name = "chaos-bench", version)]
struct Options {
    /// Rounds per side
    #[arg(long, value_name = "N", default_value_t = 5)]
    rounds: usize,
    /// Seconds per workload and round
    #[arg(long, value_name = "S", default_value_t = 3)]
    seconds: u64,
    /// Where the JSON report goes
    #[arg(long, value_name = "FILE", default_value = "reports/bench/chaos-proxy.json")]
    json: PathBuf,
}

/// Where one side sends its small requests and reads its bulk data.
#[derive(Clone, Copy)]
struct Target {
    name: &'static str,
    http: SocketAddr,
    bulk: SocketAddr,
}

const DIRECT: &str = "direct";
const HAPROXY: &str = "haproxy (TCP)";
const PROXY: &str = "chaos-proxy";
const PROXY_OTHER_TOXIC: &str = "chaos-proxy, toxic client → server";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    // Ctrl-C or SIGTERM stops the proxy and haproxy before exiting.
    process_groups::stop_all_on_signal()?;
    let http_upstream = http_upstream().await?;
    let bulk_upstream = bulk_upstream().await?;
    let proxy = ProxyProcess::start().await?;
    let http_proxied = proxy.create("bench-http", http_upstream).await?;
    let bulk_proxied = proxy.create("bench-bulk", bulk_upstream).await?;
    let haproxy = Haproxy::start(http_upstream, bulk_upstream).await?;
    let window = Duration::from_secs(options.seconds);
    let mut targets = vec![
        Target { name: DIRECT, http: http_upstream, bulk: bulk_upstream },
        Target { name: PROXY, http: http_proxied, bulk: bulk_proxied },
    ];
    if let Some(haproxy) = &haproxy {
        targets.push(Target { name: HAPROXY, http: haproxy.http, bulk: haproxy.bulk });
    }
    eprintln!(
        "chaos-bench: {} rounds of {window:?} per side ({}), sides rotated; upstream {http_upstream}",
        options.rounds,
        targets.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
    );

    let mut runs = Runs::default();
    for round in 0..options.rounds {
        // Rotate the order, so that no side always runs warmer.
        let mut order = targets.clone();
        order.rotate_left(round % targets.len());
        for target in order {
            measure(&mut runs, target.name, target, window).await?;
        }
        eprintln!("  round {} of {} done", round + 1, options.rounds);
    }
    // A toxic on the direction that carries the requests: the answers' direction must not pay for it.
    let other_direction =
        json!({ "name": "other", "type": "latency", "stream": "upstream", "attributes": { "latency": 0 } });
    proxy.add_toxic("bench-http", other_direction.clone()).await?;
    proxy.add_toxic("bench-bulk", other_direction).await?;
    let proxied = Target { name: PROXY_OTHER_TOXIC, http: http_proxied, bulk: bulk_proxied };
    for _ in 0..options.rounds {
        measure(&mut runs, PROXY_OTHER_TOXIC, proxied, window).await?;
    }
    proxy.remove_toxic("bench-http", "other").await?;
    proxy.remove_toxic("bench-bulk", "other").await?;
    proxy.add_toxic("bench-http", json!({ "name": "zero", "type": "latency", "attributes": { "latency": 0 } })).await?;
    let mut with_toxic = Vec::new();
    for _ in 0..options.rounds {
        with_toxic.push(paced(http_proxied, window).await?);
    }

    let mut sides = vec![DIRECT, PROXY, PROXY_OTHER_TOXIC];
    if haproxy.is_some() {
        sides.insert(1, HAPROXY);
    }
    let rows = vec![
        runs.row("small requests, saturation", "req/s", SATURATION, |r| r.throughput),
        runs.row("  p50 latency at saturation", "ms", SATURATION, |r| r.p50_ms),
        runs.row("  p99 latency at saturation", "ms", SATURATION, |r| r.p99_ms),
        runs.row(&format!("small requests, {MODERATE_RATE} req/s: p50"), "ms", MODERATE, |r| r.p50_ms),
        runs.row(&format!("small requests, {MODERATE_RATE} req/s: p99"), "ms", MODERATE, |r| r.p99_ms),
        runs.row("bulk transfer, one connection", "MB/s", BULK, |r| r.throughput),
    ];
    print_table(&rows, &sides);
    let median = |side: &str, workload: &str, value: fn(&Run) -> f64| runs.spread(side, workload, value).median;
    let added_us = (median(PROXY, MODERATE, |r| r.p50_ms) - median(DIRECT, MODERATE, |r| r.p50_ms)) * 1000.0;
    let toxic_us =
        (Spread::of(with_toxic.iter().map(|r| r.p50_ms)).median - median(PROXY, MODERATE, |r| r.p50_ms)) * 1000.0;
    let saturation = |side: &str| median(side, SATURATION, |r| r.throughput);
    println!("\nadded p50 latency at {MODERATE_RATE} req/s, no toxics:     {added_us:>8.1} µs");
    println!("added p50 latency by a 0 ms latency toxic:        {toxic_us:>8.1} µs");
    println!("throughput at saturation, proxied / direct:        {:>8.2}×", saturation(PROXY) / saturation(DIRECT));
    if haproxy.is_some() {
        println!(
            "throughput at saturation, proxied / haproxy:       {:>8.2}×",
            saturation(PROXY) / saturation(HAPROXY)
        );
    } else {
        println!("haproxy: not installed, no third side (Debian: apt-get install haproxy)");
    }
    println!(
        "bulk transfer, proxied / direct:                   {:>8.2}×",
        median(PROXY, BULK, |r| r.throughput) / median(DIRECT, BULK, |r| r.throughput)
    );

    let report = json!({
        "suite": "chaos-proxy overhead",
        "rounds": options.rounds,
        "seconds_per_round": options.seconds,
        "concurrency": CONCURRENCY,
        "moderate_rate": MODERATE_RATE,
        "sides": sides,
        "rows": rows.iter().map(Row::json).collect::<Vec<_>>(),
        "added_p50_us_no_toxics": added_us,
        "added_p50_us_zero_latency_toxic": toxic_us,
    });
    if let Some(dir) = options.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.json, serde_json::to_string_pretty(&report)?)?;
    println!("\nJSON: {}", options.json.display());
    Ok(())
}

const SATURATION: &str = "saturation";
const MODERATE: &str = "moderate";
const BULK: &str = "bulk";

/// Every workload once on `target`, filed under `side`.
async fn measure(runs: &mut Runs, side: &'static str, target: Target, window: Duration) -> anyhow::Result<()> {
    runs.push(side, SATURATION, saturate(target.http, window).await?);
    runs.push(side, MODERATE, paced(target.http, window).await?);
    runs.push(side, BULK, transfer(target.bulk).await?);
    Ok(())
}

/// One measurement: a rate (req/s or MB/s) and latency percentiles.
#[derive(Clone, Copy, Default)]
struct Run {
    throughput: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Every run, by side and workload.
#[derive(Default)]
struct Runs(BTreeMap<(&'static str, &'static str), Vec<Run>>);

impl Runs {
    fn push(&mut self, side: &'static str, workload: &'static str, run: Run) {
        self.0.entry((side, workload)).or_default().push(run);
    }

    fn spread(&self, side: &str, workload: &str, value: fn(&Run) -> f64) -> Spread {
        let runs = self.0.iter().filter(|((s, w), _)| *s == side && *w == workload).flat_map(|(_, runs)| runs);
        Spread::of(runs.map(value))
    }

    fn row(&self, name: &str, unit: &str, workload: &str, value: fn(&Run) -> f64) -> Row {
        let sides = [DIRECT, HAPROXY, PROXY, PROXY_OTHER_TOXIC];
        Row {
            name: name.to_owned(),
            unit: unit.to_owned(),
            sides: sides.iter().map(|side| (*side, self.spread(side, workload, value))).collect(),
        }
    }
}

struct Row {
    name: String,
    unit: String,
    sides: BTreeMap<&'static str, Spread>,
}

impl Row {
    fn median(&self, side: &str) -> f64 {
        self.sides.get(side).map_or(f64::NAN, |s| s.median)
    }

    /// `direct` and `proxied` (chaos-proxy) as before, then the other sides.
    fn json(&self) -> Value {
        let side = |s: &Spread| json!({ "median": s.median, "min": s.min, "max": s.max });
        let mut row = json!({ "name": self.name, "unit": self.unit,
            "direct": side(&self.sides[DIRECT]), "proxied": side(&self.sides[PROXY]),
            "ratio": self.median(PROXY) / self.median(DIRECT) });
        if self.median(HAPROXY).is_finite() {
            row["haproxy"] = side(&self.sides[HAPROXY]);
            row["ratio_to_haproxy"] = json!(self.median(PROXY) / self.median(HAPROXY));
        }
        row["proxied_toxic_other_direction"] = side(&self.sides[PROXY_OTHER_TOXIC]);
        row
    }
}

fn print_table(rows: &[Row], sides: &[&str]) {
    print!("\n{:<34} {:>6}", "workload", "unit");
    for side in sides {
        print!(" {:>24}", side.chars().take(24).collect::<String>());
    }
    println!(" {:>10}", "proxy/dir.");
    for row in rows {
        print!("{:<34} {:>6}", row.name, row.unit);
        for side in sides {
            let s = row.sides[side];
            print!(" {:>24}", format!("{:.2} ({:.2}–{:.2})", s.median, s.min, s.max));
        }
        println!(" {:>9.2}×", row.median(PROXY) / row.median(DIRECT));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    stats::percentile(sorted, p).map_or(f64::NAN, |latency| latency.as_secs_f64() * 1000.0)
}

fn summarise(mut latencies: Vec<Duration>, elapsed: Duration) -> Run {
    latencies.sort();
    Run {
        throughput: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client")
}

/// `CONCURRENCY` keep-alive clients sending back to back for `window`.
async fn saturate(target: SocketAddr, window: Duration) -> anyhow::Result<Run> {
    let url = format!("http://{target}/hello");
    let start = Instant::now();
    let deadline = start + window;
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = client();
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let response = client.get(&url).send().await?;
                response.bytes().await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(summarise(all, start.elapsed()))
}

/// Requests at `MODERATE_RATE` per second, spread over a few connections.
/// Latency is timed from the send, not from the schedule: tokio's timer
/// wakes up to 1 ms late, which would drown the microseconds measured here
/// (at this rate nothing queues, so no stall hides behind it).
async fn paced(target: SocketAddr, window: Duration) -> anyhow::Result<Run> {
    const CONNECTIONS: u64 = 4;
    let url = format!("http://{target}/hello");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..CONNECTIONS {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = client();
            let every = Duration::from_secs_f64(CONNECTIONS as f64 / MODERATE_RATE as f64);
            let mut next = tokio::time::Instant::from_std(start) + every.mul_f64(lane as f64 / CONNECTIONS as f64);
            let mut latencies = Vec::new();
            while next.into_std() < start + window {
                tokio::time::sleep_until(next).await;
                let sent = Instant::now();
                let response = client.get(&url).send().await?;
                response.bytes().await?;
                latencies.push(sent.elapsed());
                next += every;
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let mut run = summarise(all, start.elapsed());
    run.throughput = MODERATE_RATE as f64;
    Ok(run)
}

/// Reads `BULK_BYTES` from the bulk upstream on one connection.
async fn transfer(target: SocketAddr) -> anyhow::Result<Run> {
    let mut stream = TcpStream::connect(target).await?;
    let start = Instant::now();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        total += n;
    }
    if total != BULK_BYTES {
        bail!("bulk transfer ended after {total} of {BULK_BYTES} bytes");
    }
    let elapsed = start.elapsed();
    Ok(Run { throughput: total as f64 / 1e6 / elapsed.as_secs_f64(), p50_ms: 0.0, p99_ms: 0.0 })
}

/// A small HTTP service: `GET /hello` answers 13 bytes of JSON.
async fn http_upstream() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/hello", get(|| async { axum::Json(json!({ "ok": true })) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// Sends `BULK_BYTES` to every connection, then closes it.
async fn bulk_upstream() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let chunk = vec![7u8; 256 * 1024];
                for _ in 0..BULK_BYTES / chunk.len() {
                    if stream.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok(addr)
}

/// `chaos-proxy` as a child process, stopped on drop.
struct ProxyProcess {
    _group: process_groups::Group,
    _child: tokio::process::Child,
    api: String,
    http: reqwest::Client,
}

impl ProxyProcess {
    async fn start() -> anyhow::Result<Self> {
        let binary = std::env::current_exe()?.with_file_name("chaos-proxy");
        if !binary.exists() {
            bail!("{} not found: build it with `cargo build --release -p chaos`", binary.display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = process_groups::isolate(&mut tokio::process::Command::new(&binary))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let group = process_groups::Group::led_by(child.id().context("a running child has a pid")?);
        let api = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http.get(format!("{api}/version")).send().await.is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("chaos-proxy did not answer on {api} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self { _group: group, _child: child, api, http })
    }

    async fn create(&self, name: &str, upstream: SocketAddr) -> anyhow::Result<SocketAddr> {
        let body = json!({ "name": name, "listen": "127.0.0.1:0", "upstream": upstream.to_string() });
        let response = self.http.post(format!("{}/proxies", self.api)).json(&body).send().await?;
        if response.status() != 201 {
            bail!("creating proxy {name}: {}", response.status());
        }
        let view: Value = response.json().await?;
        Ok(view["listen"].as_str().context("listen")?.parse()?)
    }

    async fn remove_toxic(&self, proxy: &str, toxic: &str) -> anyhow::Result<()> {
        let response = self.http.delete(format!("{}/proxies/{proxy}/toxics/{toxic}", self.api)).send().await?;
        if !response.status().is_success() {
            bail!("removing toxic {toxic} from {proxy}: {}", response.status());
        }
        Ok(())
    }

    async fn add_toxic(&self, proxy: &str, toxic: Value) -> anyhow::Result<()> {
        let response = self.http.post(format!("{}/proxies/{proxy}/toxics", self.api)).json(&toxic).send().await?;
        if !response.status().is_success() {
            bail!("adding a toxic to {proxy}: {}", response.status());
        }
        Ok(())
    }
}

/// haproxy in TCP mode in front of the same upstreams, when it is
/// installed; stopped on drop (with its workers, if it forks any).
struct Haproxy {
    _group: process_groups::Group,
    _child: tokio::process::Child,
    config: PathBuf,
    http: SocketAddr,
    bulk: SocketAddr,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config);
    }
}

impl Haproxy {
    async fn start(http_upstream: SocketAddr, bulk_upstream: SocketAddr) -> anyhow::Result<Option<Self>> {
        let installed = std::process::Command::new("haproxy").arg("-v").stdout(Stdio::null()).status();
        if !installed.is_ok_and(|s| s.success()) {
            eprintln!("chaos-bench: haproxy not found, measuring without it (Debian: apt-get install haproxy)");
            return Ok(None);
        }
        let free = || -> anyhow::Result<SocketAddr> { Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?) };
        let (http, bulk) = (free()?, free()?);
        // haproxy's defaults otherwise: one thread per CPU, as chaos-proxy's tokio.
        let config = format!(
            "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n\
             listen http\n  bind {http}\n  server upstream {http_upstream}\n\
             listen bulk\n  bind {bulk}\n  server upstream {bulk_upstream}\n"
        );
        let path = std::env::temp_dir().join(format!("chaos-bench-haproxy-{}.cfg", std::process::id()));
        std::fs::write(&path, config)?;
        let child = process_groups::isolate(&mut tokio::process::Command::new("haproxy"))
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting haproxy")?;
        let group = process_groups::Group::led_by(child.id().context("a running child has a pid")?);
        let started = Instant::now();
        while TcpStream::connect(http).await.is_err() || TcpStream::connect(bulk).await.is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("haproxy did not listen on {http} and {bulk} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Some(Self { _group: group, _child: child, config: path, http, bulk }))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Options::command().debug_assert();
    }

    #[test]
    fn the_defaults_hold_and_bench_s_flags_are_read() {
        let options = Options::try_parse_from(["chaos-bench"]).unwrap();
        assert_eq!((options.rounds, options.seconds), (5, 3));
        assert_eq!(options.json, PathBuf::from("reports/bench/chaos-proxy.json"));
        // As tools/bench's proxy suite calls it.
        let options =
            Options::try_parse_from(["chaos-bench", "--rounds", "7", "--seconds", "3", "--json", "x.json"]).unwrap();
        assert_eq!((options.rounds, options.seconds, options.json), (7, 3, PathBuf::from("x.json")));
    }

    #[test]
    fn help_and_version_answer_and_a_wrong_flag_or_value_is_refused() {
        assert_eq!(Options::try_parse_from(["chaos-bench", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(
            Options::try_parse_from(["chaos-bench", "--version"]).unwrap_err().kind(),
            ErrorKind::DisplayVersion
        );
        let error = Options::try_parse_from(["chaos-bench", "--round", "3"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
        assert_eq!(
            Options::try_parse_from(["chaos-bench", "--rounds", "many"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
    }
}
