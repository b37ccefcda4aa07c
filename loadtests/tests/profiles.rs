//! `shop-load` (a separate process: goose's logger and a tracing subscriber
//! do not share one) against the whole shop running in this test.
//!
//! These tests prove the machinery: every scenario drives the real shop, a
//! threshold that cannot hold fails the run and is named, one that must
//! hold holds. They assert no latency target: a debug build on a busy
//! two-core machine says nothing about the shop's speed, and a timed test
//! fails whenever the machine is busy. The profiles' own targets are
//! checked against a release build, as a benchmark (`scripts/bench.sh profile`).

mod common;

use std::path::Path;
use std::process::Output;

use common::workdir;
use e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Options, Shop};
use serde_json::Value;

async fn shop_load(shop: &Shop, dir: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_shop-load"))
        .args(args)
        .args(["--host", &shop.gateway.address])
        .env("LOAD_WEB_URL", &shop.web.address)
        .env("LOAD_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LOAD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .current_dir(dir)
        .output()
        .await
        .expect("shop-load runs")
}

fn text(output: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test]
async fn the_smoke_profile_drives_the_real_services_and_passes_thresholds_it_must_hold() {
    let shop = Shop::start(Options::default()).await;
    let dir = workdir("profile");
    // Thresholds with a margin no machine load can break: what is proven is
    // that they are evaluated, reported and pass the run.
    let must_hold = ["--threshold", "error-rate<50%", "--threshold", "p95<60s"];
    let output = shop_load(&shop, &dir, &[&["--profile", "smoke"][..], &must_hold].concat()).await;
    let log = text(&output);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("thresholds of profile smoke"), "{log}");
    assert!(!log.contains(" FAIL"), "{log}");
    let table: Vec<&str> = log.lines().skip_while(|l| !l.contains("thresholds of profile")).take(4).collect();
    eprintln!("{}", table.join("\n"));

    let runs: Vec<_> = std::fs::read_dir(dir.join("reports")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1);
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(runs[0].join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], true);
    let rules: Vec<_> = summary["thresholds"].as_array().unwrap().iter().map(|t| t["rule"].clone()).collect();
    assert_eq!(rules, ["error-rate<50%", "p95<60s"], "{summary}");
    assert!(summary["thresholds"].as_array().unwrap().iter().all(|t| t["passed"] == true), "{summary}");
    assert!(runs[0].join("report.html").exists() && runs[0].join("report.json").exists());

    // The load went through every part of the shop, and it shows as load.
    let metrics = shop.gateway.get("/metrics").await.text().await.unwrap();
    let from_load = metrics
        .lines()
        .find(|l| l.starts_with("gateway_requests_total") && l.contains(r#"origin="load-test""#))
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(from_load > 50.0, "{from_load} load-test requests");
    // Visitors browsed the storefront's pages too.
    let storefront = shop.web.get("/metrics").await.text().await.unwrap();
    let pages = storefront
        .lines()
        .filter(|l| {
            l.starts_with("http_server_request_duration_seconds_count") && l.contains(r#"http_route="/products/{id}""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    assert!(pages > 0.0, "no storefront product page was visited:\n{storefront}");
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");
    assert!(report.orders_checked > 0, "the shoppers ordered");
}

#[tokio::test]
async fn a_threshold_that_cannot_hold_fails_the_run_and_names_the_breach() {
    let shop = Shop::start(Options::default()).await;
    let dir = workdir("profile");
    let output =
        shop_load(&shop, &dir, &["--profile", "smoke", "--test-plan", "2,1s;2,2s;0,1s", "--threshold", "p95<1us"])
            .await;
    let log = text(&output);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.lines().any(|l| l.contains("p95<1us") && l.contains("FAIL")), "{log}");
}

#[tokio::test]
async fn the_data_set_up_can_run_twice() {
    let shop = Shop::start(Options::default()).await;
    let dir = workdir("profile");
    for run in 1..=2 {
        let output = shop_load(&shop, &dir, &["--setup-only"]).await;
        assert!(output.status.success(), "run {run}: {}", text(&output));
    }
    let kitchen = shop.gateway.get_json("/api/v1/products?category=kitchen&per_page=100&fresh=1").await;
    assert_eq!(kitchen["total"], 3, "products are not duplicated");
    let stock = shop.gateway.get_json(&format!("/api/v1/inventory/{}", kitchen["items"][0]["id"])).await;
    assert_eq!(stock["available"], 10_000, "stock topped up once, not twice");
}
