//! Many `shop-load` workers as one run: real worker processes against the
//! whole shop in this test, a real Prometheus scraping their `/metrics`,
//! and `shop-load judge` reading the sum back.
//!
//! What is proven: the judged request count is the sum of what each worker
//! counted itself; the judged p95 agrees with the exact p95 of every
//! request of every worker (goose's own request logs) within the buckets'
//! stated error; a worker killed mid-run makes the judge fail and name it.
//! No latency target is asserted (a debug build on a busy machine).

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{logged_latencies, workdir};
use e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Options, Shop};
use loadtests::live::histogram::RELATIVE_ERROR;
use platform::test_util::port_for_a_server;
use platform::test_util::prometheus::TestPrometheus;
use serde_json::Value;
use tokio::process::{Child, Command};

fn shop_load(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shop-load"));
    command
        .env("LOAD_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LOAD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .current_dir(dir)
        .kill_on_drop(true);
    command
}

/// Worker `index` of `workers`, its metrics on `port`, its request log in `dir`.
fn worker(shop: &Shop, dir: &Path, plan: &str, start_at: i64, (index, workers): (usize, usize), port: u16) -> Child {
    shop_load(dir)
        .args(["--profile", "smoke", "--test-plan", plan, "--host", &shop.gateway.address])
        .args(["--workers", &workers.to_string(), "--worker-index", &index.to_string()])
        .args(["--start-at", &start_at.to_string(), "--metrics-addr", &format!("127.0.0.1:{port}"), "--linger", "60"])
        .args(["--request-log", &format!("requests-{index}.json"), "--request-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shop-load starts")
}

async fn finished(child: Child, what: &str) -> String {
    let output = child.wait_with_output().await.unwrap();
    let log = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{what}: {log}");
    log
}

/// Waits until `expr` has a series, re-asking every 200 ms, for at most `patience`.
async fn until_series(prometheus: &TestPrometheus, expr: &str, patience: Duration) {
    let deadline = tokio::time::Instant::now() + patience;
    while !prometheus.has_series(expr).await {
        assert!(tokio::time::Instant::now() < deadline, "no series for {expr} after {patience:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every latency goose logged in the workers' request logs, in seconds.
fn logged_by_workers(dir: &Path, workers: usize) -> Vec<f64> {
    (0..workers).flat_map(|index| logged_latencies(&dir.join(format!("requests-{index}.json")))).collect()
}

/// The exact nearest-rank quantile of `samples`.
fn exact_quantile(mut samples: Vec<f64>, q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let rank = (q * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// A run of `count` workers, scraped by a fresh Prometheus, starting
/// `lead` seconds from now (time for the set-up).
struct Run {
    prometheus: TestPrometheus,
    workers: Vec<Child>,
    ports: Vec<u16>,
    start_at: i64,
}

async fn start_run(shop: &Shop, dir: &Path, plan: &str, count: usize, lead: i64) -> Run {
    let ports: Vec<u16> = (0..count).map(|_| port_for_a_server()).collect();
    let targets: Vec<(String, String)> =
        ports.iter().map(|p| ("loadgen".to_owned(), format!("127.0.0.1:{p}"))).collect();
    let prometheus = TestPrometheus::start(&targets, None).await;
    let start_at = chrono::Utc::now().timestamp() + lead;
    let workers = ports
        .iter()
        .enumerate()
        .map(|(index, port)| worker(shop, dir, plan, start_at, (index, count), *port))
        .collect();
    Run { prometheus, workers, ports, start_at }
}

/// `shop-load judge` on `run`'s Prometheus, from before its start to now: its
/// exit code and everything it printed.
async fn judge(dir: &Path, run: &Run, thresholds: &[&str]) -> (Option<i32>, String) {
    let rules = thresholds.iter().flat_map(|rule| ["--threshold", rule]);
    let judged = shop_load(dir)
        .args(["judge", "--prometheus", &run.prometheus.base, "--profile", "smoke"])
        .args(["--from", &(run.start_at - 30).to_string()])
        .args(rules)
        .output()
        .await
        .unwrap();
    let log = format!("{}\n{}", String::from_utf8_lossy(&judged.stdout), String::from_utf8_lossy(&judged.stderr));
    (judged.status.code(), log)
}

fn summary(dir: &Path, suffix: &str) -> Value {
    let reports = std::fs::read_dir(dir.join("reports")).unwrap().map(|e| e.unwrap().path());
    let found: Vec<PathBuf> = reports.filter(|p| p.to_string_lossy().ends_with(suffix)).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    serde_json::from_str(&std::fs::read_to_string(found[0].join("summary.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn three_workers_are_judged_as_one_run_from_the_sum_in_prometheus() {
    let shop = Shop::start(Options::default()).await;
    let dir = workdir("workers");
    let mut run = start_run(&shop, &dir, "6,2s;6,10s;0,1s", 3, 15).await;
    let mut counted = 0.0;
    for (index, child) in run.workers.drain(..).enumerate() {
        let log = finished(child, &format!("worker {index}")).await;
        assert!(log.contains("Prometheus has the run's last figures"), "worker {index}: {log}");
        assert!(log.contains(&format!("worker {index} of 3: plan 2,2s;2,10s;0,1s")), "{log}");
        let own = summary(&dir, &format!("-worker-{index}"));
        assert!(own["requests"].as_f64().unwrap() > 0.0, "worker {index} made requests: {own}");
        counted += own["requests"].as_f64().unwrap();
    }
    let every_one_finished = "count(last_over_time(shop_load_finished[5m]) == 1) == 3";
    until_series(&run.prometheus, every_one_finished, Duration::from_secs(10)).await;

    let (code, log) = judge(&dir, &run, &["p95<60s", "error-rate<50%", "rps>0"]).await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("thresholds of profile smoke") && !log.contains("FAIL"), "{log}");
    let report = summary(&dir, "-judged");
    assert_eq!(report["workers_expected"], 3, "{report}");
    assert!(report["problems"].as_array().unwrap().is_empty(), "{report}");

    // The sum in Prometheus is every worker's own count, exactly.
    assert_eq!(report["requests"].as_f64().unwrap(), counted, "{report}");
    // The judged p95 lies in the same bucket as the exact p95 of every request.
    let latencies = logged_by_workers(&dir, 3);
    assert_eq!(latencies.len() as f64, counted, "goose logged every request it counted");
    let exact = exact_quantile(latencies, 0.95);
    let judged_p95 = report["thresholds"][0]["value"].as_f64().unwrap() / 1e3;
    let ratio = judged_p95 / exact;
    eprintln!("p95: judged {judged_p95:.6} s, exact {exact:.6} s, ratio {ratio:.4}");
    let within_a_bucket = 1.0 / (1.0 + RELATIVE_ERROR)..=1.0 + RELATIVE_ERROR;
    assert!(within_a_bucket.contains(&ratio), "judged {judged_p95}, exact {exact}");
}

#[tokio::test]
async fn a_worker_killed_mid_run_fails_the_judgement_by_name() {
    let shop = Shop::start(Options::default()).await;
    let dir = workdir("workers");
    let mut run = start_run(&shop, &dir, "4,1s;4,5m;0,1s", 2, 10).await;
    // Both are under way, as Prometheus sees them; then worker 1 dies.
    let both_busy = "count(sum by (worker) (shop_load_requests_total) > 0) == 2";
    until_series(&run.prometheus, both_busy, Duration::from_secs(90)).await;
    run.workers[1].kill().await.unwrap();
    let scrape_fails = format!("up{{instance=\"127.0.0.1:{}\"}} == 0", run.ports[1]);
    until_series(&run.prometheus, &scrape_fails, Duration::from_secs(10)).await;

    let (code, log) = judge(&dir, &run, &["p95<60s"]).await;
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("RUN NOT WHOLE: worker 1 of 2 stopped reporting at"), "{log}");
    assert!(log.contains("worker 0 of 2 had not finished"), "{log}");
    run.workers[0].kill().await.unwrap();
}
