//! The experiment runner end to end, on a short experiment: a real
//! chaos-proxy in front of an HTTP service with steady traffic, a real
//! Prometheus scraping the proxy. A passing run, a failing one (its fault
//! matched nothing), and an interrupted one — every one leaves no fault
//! behind and writes its report.

mod common;

use std::time::Duration;

use chaos::runner::{self, Experiment, Outcome, Settings};
use common::*;
use platform::test_util::eventually;
use platform::test_util::prometheus::TestPrometheus;
use serde_json::Value;

const STORM: &str = r#"
title = "HTTP 503 storm on a test service"
question = "Does the runner put a fault in place, see its effect, and take it away?"
warmup = "2s"
cooldown = "3s"
interval = "1s"

[[hypothesis]]
name = "traffic flows through the proxy"
query = 'sum(rate(chaos_proxy_http_requests_total{proxy="api"}[3s]))'
above = 5
when = ["before", "after"]

[[fault]]
name = "storm"
at = "0s"
for = "4s"
proxy = "api"
toxic = { type = "http_status", toxicity = 0.5, attributes = { status = 503, path_prefix = "PREFIX" } }

[[expect]]
name = "503s are injected while the storm lasts"
query = 'sum(rate(chaos_proxy_faults_injected_total{proxy="api", kind="http_status"}[3s]))'
above = 2
check = "eventually"
fault = "storm"

[[expect]]
name = "the storm's window is open on the proxy for the dashboards"
query = 'max(chaos_fault_active{fault="storm", kind="http_status", target="proxy api"})'
above = 0.5
check = "eventually"
fault = "storm"

[[expect]]
name = "and closed when it ends"
query = 'max(chaos_fault_active{fault="storm"})'
below = 0.5
check = "at_end"

[[expect]]
name = "no 503 is injected once the storm is over"
query = 'sum(increase(chaos_proxy_faults_injected_total{proxy="api", kind="http_status"}[2s]))'
below = 0.5
empty = 0
check = "at_end"
fault = "storm"
"#;

struct Bench {
    server: ProxyServer,
    prometheus: TestPrometheus,
    settings: Settings,
    _traffic: tokio::task::JoinHandle<()>,
}

async fn bench() -> Bench {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("api", http_service().await).await;
    let traffic = tokio::spawn(async move {
        let client = reqwest::Client::new();
        loop {
            let _ = client.get(format!("http://{proxy}/api/items")).send().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let api = server.api.trim_start_matches("http://").to_owned();
    let prometheus = TestPrometheus::start(&[("chaos-proxy".into(), api)], None).await;
    eventually("Prometheus sees the traffic", Duration::from_secs(30), || async {
        prometheus.has_series(r#"rate(chaos_proxy_http_requests_total{proxy="api"}[3s]) > 5"#).await
    })
    .await;
    let settings = Settings {
        prometheus: prometheus.base.clone(),
        proxy_api: server.api.clone(),
        no_load: true,
        invariants: Vec::new(),
        report_dir: std::env::temp_dir().join(format!("chaos-runner-test-{}", std::process::id())),
        ..Settings::default()
    };
    Bench { server, prometheus, settings, _traffic: traffic }
}

fn experiment(path_prefix: &str) -> Experiment {
    let experiment: Experiment = toml::from_str(&STORM.replace("PREFIX", path_prefix)).unwrap();
    assert!(experiment.problems().is_empty(), "{:?}", experiment.problems());
    experiment
}

async fn toxics(bench: &Bench) -> Value {
    bench
        .server
        .http
        .get(format!("{}/proxies/api/toxics", bench.server.api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn runs_pass_fail_and_abort_and_always_remove_their_faults() {
    let bench = bench().await;
    let _ = &bench.prometheus;

    // A fault with an effect: every check passes.
    let (report, dir) =
        runner::run(&experiment("/api"), "storm.toml", &bench.settings, std::future::pending()).await.unwrap();
    assert_eq!(report.outcome, Outcome::Passed, "{}", report.summary());
    assert!(report.faults[0].acted, "{:?}", report.faults[0]);
    let windows: Value =
        bench.server.http.get(format!("{}/faults", bench.server.api)).send().await.unwrap().json().await.unwrap();
    assert_eq!(windows, serde_json::json!({}), "no fault window left open");
    assert!(report.faults[0].started_s.is_some() && report.faults[0].ended_s.is_some());
    assert_eq!(toxics(&bench).await, serde_json::json!([]));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(written["outcome"], "passed");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("<rect") && page.contains("storm"), "the fault window is shaded in the page");
    let injected = report.plots.iter().find(|p| p.title.starts_with("Faults injected")).unwrap();
    assert!(injected.series.iter().any(|s| s.points.iter().any(|p| p.1 > 0.0)), "{injected:?}");

    // A fault that matches no request acts on nothing: the experiment fails,
    // and its fault is removed all the same.
    let (report, _) =
        runner::run(&experiment("/nothing-goes-here"), "storm.toml", &bench.settings, std::future::pending())
            .await
            .unwrap();
    assert_eq!(report.outcome, Outcome::Failed, "{}", report.summary());
    let reasons = report.reasons.join("\n");
    assert!(reasons.contains("fault \"storm\" acted on nothing"), "{reasons}");
    assert!(reasons.contains("503s are injected while the storm lasts"), "{reasons}");
    assert_eq!(toxics(&bench).await, serde_json::json!([]));

    // Interrupted while the fault is in place (Ctrl-C in the CLI).
    let interrupt = tokio::time::sleep(Duration::from_secs(4));
    let (report, _) = runner::run(&experiment("/api"), "storm.toml", &bench.settings, interrupt).await.unwrap();
    assert_eq!(report.outcome, Outcome::Aborted, "{}", report.summary());
    assert!(report.faults[0].started_s.is_some(), "the fault was in place when interrupted");
    assert!(report.cleanup.iter().any(|line| line.contains("undone")), "{:?}", report.cleanup);
    assert_eq!(toxics(&bench).await, serde_json::json!([]));
}

#[tokio::test]
async fn every_experiment_and_monkey_file_in_the_repository_is_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = |dir: &str| -> Vec<std::path::PathBuf> {
        let entries = std::fs::read_dir(root.join(dir)).unwrap();
        entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect()
    };
    let experiments = files("experiments");
    for path in &experiments {
        let experiment = Experiment::load(path).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(experiment.monkey.is_none(), "{}: monkey files go in monkey/", path.display());
    }
    assert!(experiments.len() >= 10, "{} experiments", experiments.len());
    let monkeys = files("monkey");
    for path in &monkeys {
        let catalogue = Experiment::load(path).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(catalogue.monkey.is_some(), "{}: no [monkey] table", path.display());
        // Whatever a seed draws is a valid experiment, every catalogue fault drawn by some seed.
        let mut drawn_names = std::collections::BTreeSet::new();
        for seed in 0..20 {
            let drawn = chaos::runner::monkey::draw(&catalogue, seed);
            assert_eq!(drawn.problems(), Vec::<String>::new(), "{} seed {seed}", path.display());
            assert!(!drawn.faults.is_empty(), "{} seed {seed} draws nothing", path.display());
            drawn_names.extend(drawn.faults.iter().map(|f| f.name.rsplit_once(" #").unwrap().0.to_owned()));
        }
        assert_eq!(drawn_names.len(), catalogue.faults.len(), "{}: {drawn_names:?}", path.display());
    }
    assert!(!monkeys.is_empty());
}

/// The experiment desk (the control room's API) runs the same experiment:
/// listed with its question, started, watched live as its checks are
/// sampled, refused while it runs, ended with its report on show, and
/// stopped on demand with its fault removed.
#[tokio::test]
async fn the_desk_lists_starts_watches_and_stops_an_experiment_and_serves_its_report() {
    let bench = bench().await;
    let catalogue = bench.settings.report_dir.join("catalogue");
    std::fs::create_dir_all(&catalogue).unwrap();
    std::fs::write(catalogue.join("storm.toml"), STORM.replace("PREFIX", "/api")).unwrap();
    std::fs::write(catalogue.join("broken.toml"), "title = \"no question, no fault\"").unwrap();
    let load = chaos::desk::Load::new(chaos::desk::LoadSettings {
        binary: "/nonexistent/shop-load".into(),
        gateway: "http://127.0.0.1:9".into(),
        web: None,
        metrics_addr: None,
        env: Vec::new(),
        workdir: bench.settings.report_dir.clone(),
    })
    .await;
    let desk = chaos::desk::Desk::new(catalogue, bench.settings.clone(), load);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = desk.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let request = http.get(format!("{base}{path}"));
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let post = |path: &str, body: Value| {
        let request = http.post(format!("{base}{path}")).json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), serde_json::from_str::<Value>(&response.text().await.unwrap()).unwrap())
        }
    };
    let current = || async { serde_json::from_str::<Value>(&get("/runs/current").await.1).unwrap() };

    // The catalogue: the valid file, with its question; the broken one left out.
    let (status, body) = get("/experiments").await;
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = listed["experiments"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["storm"]);
    assert!(listed["experiments"][0]["question"].as_str().unwrap().starts_with("Does the runner put a fault"));
    assert_eq!(get("/runs/current").await.0, 404, "nothing has run yet");

    // Unknown names and bodies are refused in the JSON error shape.
    let (status, body) = post("/runs", serde_json::json!({ "experiment": "../storm" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, body) = post("/runs", serde_json::json!({ "name": "storm" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["code"].is_string(), "{body}");

    // Started: one at a time.
    let (status, body) = post("/runs", serde_json::json!({ "experiment": "storm" })).await;
    assert_eq!((status, body["state"].as_str()), (202, Some("running")), "{body}");
    let (status, body) = post("/runs", serde_json::json!({ "experiment": "storm" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("experiment_running")), "{body}");

    // Live: the steady state holds, then the storm's 503s are seen, while it runs.
    eventually("the 503s are seen live, while the run goes on", Duration::from_secs(30), || async {
        let run = current().await;
        let seen = run["live"]["expectations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["name"] == "503s are injected while the storm lasts")
            .flat_map(|e| e["samples"].as_array().unwrap())
            .any(|sample| sample["holds"] == true);
        let before_held = run["live"]["hypotheses"][0]["samples"][0]["holds"] == true;
        seen && before_held && run["state"] == "running"
    })
    .await;

    // Ended: passed, its report on show.
    eventually("the run ends", Duration::from_secs(30), || async { current().await["state"] != "running" }).await;
    let run = current().await;
    assert_eq!(run["state"], "passed", "{run}");
    let report = run["report"].as_str().unwrap().to_owned();
    let (status, page) = get(&format!("/reports/{report}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("HTTP 503 storm on a test service"), "the report is the run's");
    assert_eq!(get("/reports/..%2F..%2Fetc").await.0, 400, "only plain folder names are looked up");
    assert_eq!(get("/reports/no-such-report").await.0, 404);

    // Stopped on demand while the fault is in place: aborted, the fault removed.
    assert_eq!(post("/runs/current/stop", Value::Null).await.0, 409, "nothing runs now");
    assert_eq!(post("/runs", serde_json::json!({ "experiment": "storm" })).await.0, 202);
    eventually("the storm is in place", Duration::from_secs(30), || async {
        toxics(&bench).await.as_array().is_some_and(|t| !t.is_empty())
    })
    .await;
    assert_eq!(post("/runs/current/stop", Value::Null).await.0, 202);
    eventually("the stopped run ends", Duration::from_secs(30), || async { current().await["state"] != "running" })
        .await;
    assert_eq!(current().await["state"], "aborted");
    assert_eq!(toxics(&bench).await, serde_json::json!([]), "the fault was removed");
}
