//! The control room's experiments and load in a real browser: an admin
//! starts an experiment from the catalogue, watches its hypothesis and
//! expectation turn green as the desk samples them, opens its report when
//! it ends, then starts the real load generator (`shop-load`, built beside
//! this test) with a number of users, sees them in the room (Prometheus
//! scrapes the load) and stops it.

use std::time::Duration;

use chaos::desk::{Desk, Load, LoadSettings};
use chaos::runner::Settings as RunnerSettings;
use e2e::browser::Browser;
use e2e::proxied::ProxiedStorefront;
use e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Options, Shop};
use platform::test_util::prometheus::TestPrometheus;
use platform::test_util::{port_for_a_server, serve};

/// A short experiment on the proxy in front of the gateway.
const STORM: &str = r#"
title = "The gateway answers 503s"
question = "When half of the storefront's calls to the gateway get a 503, are the 503s seen, and does the steady state come back?"
warmup = "1s"
cooldown = "3s"
interval = "1s"

[[hypothesis]]
name = "the storefront reaches the gateway"
query = 'sum(rate(chaos_proxy_bytes_total{proxy="gateway"}[5s]))'
above = 100
when = ["before", "after"]

[[fault]]
name = "storm"
at = "0s"
for = "6s"
proxy = "gateway"
toxic = { type = "http_status", toxicity = 0.5, attributes = { status = 503 } }

[[expect]]
name = "503s are injected"
query = 'sum(rate(chaos_proxy_faults_injected_total{proxy="gateway", kind="http_status"}[5s]))'
above = 0.1
check = "eventually"
fault = "storm"
"#;

/// `shop-load`, built by `cargo test --workspace` beside this test's binary.
fn shop_load() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(|deps| deps.parent()).unwrap().join("shop-load");
    assert!(path.exists(), "{} is missing: cargo test --workspace builds it (loadtests)", path.display());
    path
}

#[tokio::test]
async fn an_admin_runs_an_experiment_and_the_load_from_the_control_room() {
    let shop = Shop::start(Options::default()).await;

    // A storefront reaching the gateway through a proxy, under steady
    // traffic: what the experiment breaks.
    let bench = ProxiedStorefront::start(&shop).await;
    let control_url = bench.control_url.clone();

    // The desk's address, known before Prometheus starts: it scrapes the
    // proxy, and the load's metrics as the desk relays them (as in compose).
    let desk_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let desk_address = desk_listener.local_addr().unwrap().to_string();
    let prometheus = TestPrometheus::start(
        &[("chaos-proxy".into(), bench.control_address()), ("loadgen".into(), format!("{desk_address}/load/metrics"))],
        None,
    )
    .await;
    let load_metrics = format!("127.0.0.1:{}", port_for_a_server());
    let through_proxy = r#"rate(chaos_proxy_bytes_total{proxy="gateway"}[5s]) > 100"#;
    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        while !prometheus.has_series(through_proxy).await {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
    assert!(seen.is_ok(), "Prometheus never saw the traffic: up = {}", prometheus.query("up").await);

    // The desk: a catalogue of one experiment, the real load generator.
    let scratch = std::env::temp_dir().join(format!("control-room-desk-{}", uuid::Uuid::new_v4().simple()));
    let catalogue = scratch.join("experiments");
    std::fs::create_dir_all(&catalogue).unwrap();
    std::fs::write(catalogue.join("gateway-storm.toml"), STORM).unwrap();
    let runner = RunnerSettings {
        prometheus: prometheus.base.clone(),
        proxy_api: control_url.clone(),
        gateway: shop.gateway.address.clone(),
        no_load: true,
        invariants: Vec::new(),
        report_dir: scratch.join("reports"),
        progress: false,
        ..RunnerSettings::default()
    };
    let load = Load::new(LoadSettings {
        binary: shop_load(),
        gateway: shop.gateway.address.clone(),
        web: None,
        metrics_addr: Some(load_metrics),
        env: vec![
            ("LOAD_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
            ("LOAD_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ],
        workdir: scratch.clone(),
    })
    .await;
    let desk = Desk::new(catalogue, runner, load);
    let desk_url = format!("http://{desk_address}");
    let desk_router = desk.router();
    tokio::spawn(async move { axum::serve(desk_listener, desk_router).await });

    // The room, straight at the gateway.
    let settings = web::configuration::Settings::for_tests(&shop.gateway.address)
        .with_control_room(&control_url, &prometheus.base)
        .with_desk(&desk_url);
    let room = serve(web::startup::build(settings).await).client();
    let browser = Browser::start(false).await;
    let within = Duration::from_secs(45);
    browser.log_in(&room.url(""), ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // The catalogue, with the question the experiment asks.
    browser.goto(&room.url("/control")).await;
    let question = browser.text("tr[data-experiment='gateway-storm'] td.question").await;
    assert!(question.starts_with("When half of the storefront's calls"), "{question}");

    // Started: its checks turn green as the desk samples them, while it runs.
    browser.press("Start The gateway answers 503s").await;
    browser.wait_for_text("span.run-state", "running", within).await;
    let refresh = || async { browser.goto(&room.url("/control")).await };
    let verdict = |check: &'static str| format!("tr[data-check='{check}'] span.verdict");
    platform::test_util::eventually("the 503s are seen while the storm lasts", within, || async {
        refresh().await;
        let seen = browser.client.find(fantoccini::Locator::Css(&verdict("503s are injected"))).await;
        match seen {
            Ok(element) => element.text().await.is_ok_and(|text| text == "holds"),
            Err(_) => false,
        }
    })
    .await;
    assert_eq!(browser.text(&verdict("the storefront reaches the gateway")).await, "holds");
    let start = browser.wait_for("tr[data-experiment='gateway-storm'] button").await;
    assert!(start.attr("disabled").await.unwrap().is_some(), "no second experiment while one runs");
    browser.screenshot("control-room-experiment-running").await;

    // Ended: passed, with its report one click away.
    platform::test_util::eventually("the experiment ends", within, || async {
        refresh().await;
        browser.text("span.run-state").await != "running"
    })
    .await;
    assert_eq!(browser.text("span.run-state").await, "passed");
    let violations = browser.serious_accessibility_violations().await;
    assert!(violations.is_empty(), "the control room's accessibility:\n{}", violations.join("\n"));
    browser.wait_for("a[href^='/control/reports/']").await.click().await.unwrap();
    browser.wait_for_text("h1", "The gateway answers 503s", within).await;
    browser.screenshot("control-room-experiment-report").await;

    // The load: the smoke profile with 3 users held, seen in Prometheus, stopped.
    refresh().await;
    browser.fill("Users", "3").await;
    browser.press("Start the load").await;
    platform::test_util::eventually("the room shows the load's 3 users", within, || async {
        refresh().await;
        match browser.client.find(fantoccini::Locator::Css("table.load-live tr[data-profile='smoke'] td.users")).await {
            Ok(element) => element.text().await.is_ok_and(|text| text == "3"),
            Err(_) => false,
        }
    })
    .await;
    assert!(browser.text("p.load-state").await.starts_with("Running: profile smoke, 3 users held"));
    browser.screenshot("control-room-load-running").await;
    browser.press("Stop the load").await;
    browser.wait_for("button[type=submit]").await;
    let stopped = browser.text("p.load-state").await;
    assert!(stopped.starts_with("Last run: profile smoke") && stopped.ends_with("(stopped)"), "{stopped}");
    browser.close().await;
    bench.stop().await;
    let _ = std::fs::remove_dir_all(&scratch);
}
