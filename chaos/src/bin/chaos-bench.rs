//! `chaos-bench`: what chaos-proxy costs when it injects nothing.
//!
//! Starts, on 127.0.0.1 only, an HTTP upstream and a bulk-data upstream in
//! this process and `chaos-proxy` as its own process (as in compose), then
//! measures each workload directly and through the proxy, the two sides
//! alternated round by round, and prints medians and spread side by side:
//!
//! - small requests at saturation (keep-alive clients, no pause): req/s, p50, p99;
//! - small requests at a fixed moderate rate: p50 and p99, and the p50 the proxy adds;
//! - bulk transfer on one connection: MB/s;
//! - the same fixed rate through a `latency` toxic of 0 ms (the toxic machinery's own cost).
//!
//! ```text
//! cargo run --release -p chaos --bin chaos-bench -- [--rounds N] [--seconds S] [--json FILE]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::routing::get;
use clap::Parser;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONCURRENCY: usize = 32;
const MODERATE_RATE: u64 = 500;
const BULK_BYTES: usize = 256 * 1024 * 1024;

/// What chaos-proxy costs when it injects nothing: each workload direct and
/// through the proxy, sides alternated round by round.
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let http_upstream = http_upstream().await?;
    let bulk_upstream = bulk_upstream().await?;
    let proxy = ProxyProcess::start().await?;
    let http_proxied = proxy.create("bench-http", http_upstream).await?;
    let bulk_proxied = proxy.create("bench-bulk", bulk_upstream).await?;
    let window = Duration::from_secs(options.seconds);
    eprintln!(
        "chaos-bench: {} rounds of {window:?} per side, sides alternated; upstream {http_upstream}, proxy {http_proxied}",
        options.rounds
    );

    let mut rows = Vec::new();
    let mut saturation = Pairs::default();
    let mut moderate = Pairs::default();
    let mut bulk = Pairs::default();
    for round in 0..options.rounds {
        // Alternate which side goes first, so neither always runs warmer.
        let order = if round % 2 == 0 { [false, true] } else { [true, false] };
        for through_proxy in order {
            let (http, raw) = if through_proxy { (http_proxied, bulk_proxied) } else { (http_upstream, bulk_upstream) };
            saturation.push(through_proxy, saturate(http, window).await?);
            moderate.push(through_proxy, paced(http, window).await?);
            bulk.push(through_proxy, transfer(raw).await?);
        }
        eprintln!("  round {} of {} done", round + 1, options.rounds);
    }
    proxy.add_toxic("bench-http", json!({ "name": "zero", "type": "latency", "attributes": { "latency": 0 } })).await?;
    let mut with_toxic = Vec::new();
    for _ in 0..options.rounds {
        with_toxic.push(paced(http_proxied, window).await?);
    }

    rows.push(saturation.row("small requests, saturation", "req/s", |r| r.throughput));
    rows.push(saturation.row("  p50 latency at saturation", "ms", |r| r.p50_ms));
    rows.push(saturation.row("  p99 latency at saturation", "ms", |r| r.p99_ms));
    rows.push(moderate.row(&format!("small requests, {MODERATE_RATE} req/s: p50"), "ms", |r| r.p50_ms));
    rows.push(moderate.row(&format!("small requests, {MODERATE_RATE} req/s: p99"), "ms", |r| r.p99_ms));
    rows.push(bulk.row("bulk transfer, one connection", "MB/s", |r| r.throughput));
    let toxic_p50 = spread(with_toxic.iter().map(|r| r.p50_ms).collect());
    let proxied_p50 = spread(moderate.proxied.iter().map(|r| r.p50_ms).collect());

    print_table(&rows);
    let added_us = (moderate.median_proxied(|r| r.p50_ms) - moderate.median_direct(|r| r.p50_ms)) * 1000.0;
    let toxic_us = (toxic_p50.median - proxied_p50.median) * 1000.0;
    println!("\nadded p50 latency at {MODERATE_RATE} req/s, no toxics:     {added_us:>8.1} µs");
    println!("added p50 latency by a 0 ms latency toxic:        {toxic_us:>8.1} µs");
    println!(
        "throughput at saturation, proxied / direct:        {:>8.2}×",
        saturation.median_proxied(|r| r.throughput) / saturation.median_direct(|r| r.throughput)
    );

    let report = json!({
        "suite": "chaos-proxy overhead",
        "rounds": options.rounds,
        "seconds_per_round": options.seconds,
        "concurrency": CONCURRENCY,
        "moderate_rate": MODERATE_RATE,
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

/// One measurement: a rate (req/s or MB/s) and latency percentiles.
#[derive(Clone, Copy, Default)]
struct Run {
    throughput: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// The runs of one workload, direct and proxied.
#[derive(Default)]
struct Pairs {
    direct: Vec<Run>,
    proxied: Vec<Run>,
}

impl Pairs {
    fn push(&mut self, proxied: bool, run: Run) {
        if proxied { self.proxied.push(run) } else { self.direct.push(run) }
    }

    fn median_direct(&self, value: fn(&Run) -> f64) -> f64 {
        spread(self.direct.iter().map(value).collect()).median
    }

    fn median_proxied(&self, value: fn(&Run) -> f64) -> f64 {
        spread(self.proxied.iter().map(value).collect()).median
    }

    fn row(&self, name: &str, unit: &str, value: fn(&Run) -> f64) -> Row {
        Row {
            name: name.to_owned(),
            unit: unit.to_owned(),
            direct: spread(self.direct.iter().map(value).collect()),
            proxied: spread(self.proxied.iter().map(value).collect()),
        }
    }
}

/// Median and range of a few repeated measurements.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

fn spread(mut values: Vec<f64>) -> Spread {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return Spread { median: f64::NAN, min: f64::NAN, max: f64::NAN };
    }
    Spread { median: values[values.len() / 2], min: values[0], max: values[values.len() - 1] }
}

struct Row {
    name: String,
    unit: String,
    direct: Spread,
    proxied: Spread,
}

impl Row {
    fn json(&self) -> Value {
        let side = |s: &Spread| json!({ "median": s.median, "min": s.min, "max": s.max });
        json!({ "name": self.name, "unit": self.unit, "direct": side(&self.direct), "proxied": side(&self.proxied),
                "ratio": self.proxied.median / self.direct.median })
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<40} {:>6} {:>22} {:>22} {:>8}",
        "workload", "unit", "direct (min–max)", "proxied (min–max)", "ratio"
    );
    for row in rows {
        let cell = |s: &Spread| format!("{:.2} ({:.2}–{:.2})", s.median, s.min, s.max);
        println!(
            "{:<40} {:>6} {:>22} {:>22} {:>7.2}×",
            row.name,
            row.unit,
            cell(&row.direct),
            cell(&row.proxied),
            row.proxied.median / row.direct.median
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
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

/// `chaos-proxy` as a child process, killed on drop.
struct ProxyProcess {
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
        let child = tokio::process::Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let api = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http.get(format!("{api}/version")).send().await.is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("chaos-proxy did not answer on {api} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self { _child: child, api, http })
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

    async fn add_toxic(&self, proxy: &str, toxic: Value) -> anyhow::Result<()> {
        let response = self.http.post(format!("{}/proxies/{proxy}/toxics", self.api)).json(&toxic).send().await?;
        if !response.status().is_success() {
            bail!("adding a toxic to {proxy}: {}", response.status());
        }
        Ok(())
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
