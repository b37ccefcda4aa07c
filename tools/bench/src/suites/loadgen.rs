//! The load generator's own cost: how many requests one `shop-load` worker
//! drives per core of its own, against an endpoint that costs next to
//! nothing (nginx answering one small JSON, `tools/bench/nginx-static.conf`),
//! beside `wrk` on the same endpoint in the same run, and with its live
//! metrics off and on (served, and scraped every second as Prometheus would).
//!
//! shop-load runs goose's anonymous browsing users with no think time (the
//! `overload` profile), `--connections` of them; wrk holds as many
//! connections. Each side's CPU is the child process's own (user + system,
//! from the kernel's accounting of waited-for children), so "per core" is
//! requests per CPU-second of the generator, whatever the endpoint did.

use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use serde_json::json;

use super::Plan;
use crate::procs::{free_port, release_binary};
use crate::report::{Spread, Table};
use crate::wrk::{self, Load};

/// One run of one side: what it did and what it cost.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Run {
    requests: f64,
    wall_seconds: f64,
    cpu_seconds: f64,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.requests / self.wall_seconds
    }
    fn per_cpu_second(&self) -> f64 {
        self.requests / self.cpu_seconds.max(1e-9)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Wrk,
    ShopLoad { live_metrics: bool },
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Wrk => "wrk (1 thread)",
            Side::ShopLoad { live_metrics: false } => "shop-load (live metrics off)",
            Side::ShopLoad { live_metrics: true } => "shop-load (live metrics on, scraped 1/s)",
        }
    }
}

const SIDES: [Side; 3] = [Side::Wrk, Side::ShopLoad { live_metrics: false }, Side::ShopLoad { live_metrics: true }];

/// CPU seconds (user + system) of every child waited for so far.
fn children_cpu() -> f64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0.0, |usage| {
        let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        seconds(usage.user_time()) + seconds(usage.system_time())
    })
}

/// A JSON that every request of shop-load's set-up and browsing can read:
/// an admin token, the twelve LOAD products, stock at its level.
fn static_answer() -> String {
    let items: Vec<serde_json::Value> =
        (0..12).map(|i| json!({"id": i + 1, "sku": format!("LOAD-{i:02}"), "name": "Load"})).collect();
    json!({"access_token": "bench", "items": items, "total": 12, "available": 10_000}).to_string()
}

async fn wrk_run(plan: &Plan, url: &str) -> anyhow::Result<Run> {
    let load = Load { connections: plan.connections, duration: plan.window };
    let before = children_cpu();
    let measured = wrk::run(&load, url, &[])?;
    anyhow::ensure!(measured.errors == 0, "wrk saw {} errors", measured.errors);
    let wall_seconds = plan.window.as_secs_f64();
    Ok(Run {
        requests: measured.requests_per_second * wall_seconds,
        wall_seconds,
        cpu_seconds: children_cpu() - before,
    })
}

async fn shop_load_run(plan: &Plan, host: &str, live_metrics: bool) -> anyhow::Result<Run> {
    let dir = std::env::temp_dir().join(format!("bench-loadgen-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let users = plan.connections;
    let test_plan = format!("{users},1s;{users},{}s;0,1s", plan.window.as_secs().max(1));
    let mut command = std::process::Command::new(release_binary("shop-load"));
    command
        .args(["--profile", "overload", "--scenarios", "anonymousbrowsing", "--no-thresholds", "--quiet"])
        .args(["--host", host, "--test-plan", &test_plan])
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let metrics = format!("127.0.0.1:{}", free_port());
    if live_metrics {
        command.args(["--metrics-addr", &metrics, "--linger", "0"]);
    }
    let before = children_cpu();
    let started = Instant::now();
    process_groups::isolate(&mut command);
    let child = tokio::process::Command::from(command).spawn()?;
    let _group = process_groups::Group::led_by(child.id().unwrap_or_default());
    // Prometheus's part: a scrape every second while it runs.
    let scraper = live_metrics.then(|| {
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut scrapes = 0u64;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Ok(answer) = http.get(format!("http://{metrics}/metrics")).send().await
                    && answer.bytes().await.is_ok()
                {
                    scrapes += 1;
                }
                if scrapes > 10_000 {
                    return;
                }
            }
        })
    });
    let output = child.wait_with_output().await?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = children_cpu() - before;
    if let Some(scraper) = scraper {
        scraper.abort();
    }
    anyhow::ensure!(output.status.success(), "shop-load failed: {}", String::from_utf8_lossy(&output.stderr));
    let run = std::fs::read_dir(dir.join("reports"))?.next().ok_or_else(|| anyhow::anyhow!("no report"))??.path();
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("summary.json"))?)?;
    let _ = std::fs::remove_dir_all(&dir);
    let requests = summary["requests"].as_f64().ok_or_else(|| anyhow::anyhow!("no request count in {summary}"))?;
    Ok(Run { requests, wall_seconds, cpu_seconds })
}

pub async fn run(plan: &Plan) -> anyhow::Result<(Table, serde_json::Value)> {
    let mut nginx = crate::nginx::start(include_str!("../../nginx-static.conf"), &[("{{BODY}}", static_answer())])?;
    nginx.process.wait_ready("/", Duration::from_secs(10)).await?;
    let host = nginx.process.url.clone();
    let url = format!("{host}/api/v1/products?page=1&per_page=20");
    eprintln!(
        "loadgen: {} users / connections against nginx's static answer, {} × {:?} per side",
        plan.connections, plan.rounds, plan.window
    );
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); SIDES.len()];
    for round in 0..plan.rounds {
        let order: Vec<usize> =
            if round % 2 == 0 { (0..SIDES.len()).collect() } else { (0..SIDES.len()).rev().collect() };
        for i in order {
            let run = match SIDES[i] {
                Side::Wrk => wrk_run(plan, &url).await?,
                Side::ShopLoad { live_metrics } => shop_load_run(plan, &host, live_metrics).await?,
            };
            eprintln!(
                "  round {}/{} {:<42} {:>9.0} req/s  {:.2} cores  {:>9.0} req per CPU-second",
                round + 1,
                plan.rounds,
                SIDES[i].name(),
                run.per_second(),
                run.cpu_seconds / run.wall_seconds,
                run.per_cpu_second()
            );
            runs[i].push(run);
        }
    }
    let per_core: Vec<Spread> = runs.iter().map(|r| Spread::of(r.iter().map(Run::per_cpu_second))).collect();
    let mut table = Table::new(
        &format!(
            "Load generator: requests per core against a trivial endpoint, {} users / connections (median of {}, range)",
            plan.connections, plan.rounds
        ),
        &["generator", "req/s", "cores used", "req per CPU-second", "× wrk", "× live metrics off"],
    );
    let mut sides = Vec::new();
    for (i, side) in SIDES.iter().enumerate() {
        let rate = Spread::of(runs[i].iter().map(Run::per_second));
        let cores = Spread::of(runs[i].iter().map(|r| r.cpu_seconds / r.wall_seconds));
        let versus_wrk = per_core[i].median / per_core[0].median;
        let versus_off = if matches!(side, Side::Wrk) { f64::NAN } else { per_core[i].median / per_core[1].median };
        table.row(vec![
            side.name().to_owned(),
            rate.show(0),
            cores.show(2),
            per_core[i].show(0),
            format!("{versus_wrk:.3}"),
            if versus_off.is_nan() { "–".to_owned() } else { format!("{versus_off:.3}") },
        ]);
        sides.push(json!({
            "name": side.name(),
            "requests_per_second": rate,
            "cores_used": cores,
            "requests_per_cpu_second": per_core[i],
            "ratio_to_wrk": versus_wrk,
            "runs": runs[i],
        }));
    }
    let metrics_cost = 1.0 - per_core[2].median / per_core[1].median;
    let json = json!({"endpoint": "nginx static JSON", "sides": sides, "live_metrics_cost_fraction": metrics_cost});
    Ok((table, json))
}
