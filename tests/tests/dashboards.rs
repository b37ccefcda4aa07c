//! The dashboards and alerts, checked against a real Prometheus: it scrapes
//! the whole shop (in this process) while checkouts, a declined payment, an
//! order beyond the stock, a forged token and a rate-limited client go
//! through; then every panel's query and every template variable must
//! return series, every recording rule must produce data, and every metric
//! an alert reads must exist. `promtool` checks the configuration and runs
//! the alert unit tests. (Grafana itself cannot run here; its provisioning
//! files are checked for the references it would resolve.)

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e::{Options, Shop};
use platform::test_util::eventually;
use platform::test_util::prometheus::{TestPrometheus, prometheus_image};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn promtool(image: &str, args: &[&str]) {
    let dashboards = repo().join("dashboards");
    let output = Command::new("docker")
        .args(["run", "--rm", "--entrypoint", "promtool", "-v"])
        .arg(format!("{}:/etc/prometheus/rules:ro", dashboards.join("prometheus/rules").display()))
        .arg("-v")
        .arg(format!("{}:/d:ro", dashboards.display()))
        .arg(image)
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        output.status.success(),
        "promtool {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn promtool_accepts_the_configuration_and_the_alert_tests_pass() {
    let image = prometheus_image();
    promtool(&image, &["check", "config", "/d/prometheus/prometheus.yml"]);
    promtool(&image, &["check", "rules", "/d/prometheus/rules/slo.yml", "/d/prometheus/rules/operations.yml"]);
    promtool(&image, &["test", "rules", "/d/prometheus/tests/slo_test.yml"]);
}

fn dashboards() -> Vec<(String, Value)> {
    let dir = repo().join("dashboards/grafana/dashboards");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        found.push((path.file_name().unwrap().to_string_lossy().into_owned(), json));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[test]
fn dashboards_are_valid_for_grafana_provisioning() {
    let datasources =
        std::fs::read_to_string(repo().join("dashboards/grafana/provisioning/datasources/datasources.yml")).unwrap();
    let provisioned: HashSet<&str> =
        datasources.lines().filter_map(|l| l.trim().strip_prefix("uid: ")).map(str::trim).collect();
    assert!(provisioned.contains("prometheus") && provisioned.contains("jaeger"), "{provisioned:?}");
    let expected = ["chaos.json", "checkout.json", "load-test.json", "resilience.json", "shop-overview.json"];
    let all = dashboards();
    assert_eq!(all.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), expected);
    let mut uids = HashSet::new();
    for (file, dashboard) in &all {
        assert!(uids.insert(dashboard["uid"].as_str().unwrap().to_owned()), "{file}: duplicate uid");
        assert!(dashboard["title"].as_str().is_some_and(|t| !t.is_empty()), "{file}: title");
        let panels = dashboard["panels"].as_array().unwrap();
        assert!(!panels.is_empty(), "{file}: no panels");
        let mut ids = HashSet::new();
        for panel in panels {
            assert!(ids.insert(panel["id"].as_i64().unwrap()), "{file}: duplicate panel id");
            assert!(panel["gridPos"]["w"].as_i64().unwrap() > 0, "{file}: gridPos");
            let uid = panel["datasource"]["uid"].as_str().unwrap();
            assert!(provisioned.contains(uid), "{file}: panel {} uses unknown datasource {uid}", panel["title"]);
            for target in panel["targets"].as_array().unwrap() {
                assert!(provisioned.contains(target["datasource"]["uid"].as_str().unwrap()));
                assert!(target["expr"].as_str().is_some_and(|e| !e.is_empty()));
            }
        }
        for variable in dashboard["templating"]["list"].as_array().unwrap() {
            assert!(
                provisioned.contains(variable["datasource"]["uid"].as_str().unwrap()),
                "{file}: variable datasource"
            );
        }
    }
}

/// Template variables and Grafana's macros, as the test evaluates them.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "30s").replace("\"$service\"", "\".*\"").replace("\"$instance\"", "\".*\"")
}

/// Identifiers of metrics (and recording rules) an expression reads.
fn metrics_in(expr: &str) -> Vec<String> {
    const WORDS: [&str; 14] = [
        "sum",
        "by",
        "rate",
        "increase",
        "max",
        "and",
        "or",
        "vector",
        "histogram_quantile",
        "le",
        "without",
        "on",
        "bool",
        "offset",
    ];
    let mut names = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    let mut previous = String::new();
    let mut in_label_list = false;
    for c in expr.chars().chain(std::iter::once(' ')) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            // `by (a, b)`, `without (...)`, `on (...)`: label names, not metrics.
            '(' if matches!(previous.as_str(), "by" | "without" | "on" | "ignoring") && current.is_empty() => {
                in_label_list = true
            }
            ')' if in_label_list => {
                in_label_list = false;
                previous.clear();
            }
            _ => {}
        }
        if depth == 0 && !in_label_list && (c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            current.push(c);
            continue;
        }
        if in_label_list {
            current.clear();
            continue;
        }
        let word = std::mem::take(&mut current);
        if !word.is_empty() {
            previous = word.clone();
        }
        let is_name = word.starts_with(|ch: char| ch.is_ascii_alphabetic()) && !WORDS.contains(&word.as_str());
        if is_name && c != '(' && !names.contains(&word) {
            names.push(word);
        }
    }
    names
}

#[tokio::test]
async fn every_panel_and_alert_query_returns_series_from_a_real_prometheus() {
    // Burst 40, one more every 50 ms: the noisy client below runs into it.
    let shop =
        Shop::start(Options { gateway_rate_limit: Some((Duration::from_millis(50), 40)), ..Options::default() }).await;

    // A chaos-proxy in front of the gateway, with a toxic in place.
    let (proxies, control_api) = chaos::proxy::control_api();
    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let control_addr = control.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(control, control_api).await });
    let gateway_addr = shop.gateway.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let proxied = proxies
        .create(
            serde_json::from_value(
                serde_json::json!({ "name": "gateway", "listen": "127.0.0.1:0", "upstream": gateway_addr }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    proxies
        .add_toxic(
            "gateway",
            serde_json::from_value(
                serde_json::json!({ "name": "slow", "type": "latency", "attributes": { "latency": 5 } }),
            )
            .unwrap(),
        )
        .await
        .unwrap();

    // Prometheus on the host network, scraping the services on 127.0.0.1.
    let mut targets: Vec<(String, String)> = shop
        .services
        .iter()
        .map(|(name, url)| (name.to_string(), url.trim_start_matches("http://").to_owned()))
        .collect();
    targets.push(("chaos-proxy".into(), control_addr));
    let prometheus = TestPrometheus::start(&targets, Some(&repo().join("dashboards/prometheus/rules"))).await;
    let http = reqwest::Client::new();

    // Traffic that every panel has something to show for.
    let mug = shop.product("MUG-1", 1250, 3).await;
    let ada = shop.register("ada@example.org").await;
    for _ in 0..2 {
        assert_eq!(shop.order(&ada, &[(mug, 1)], "tok_visa").await.status(), 201);
    }
    shop.order(&ada, &[(mug, 1)], "tok_decline").await;
    shop.order(&ada, &[(mug, 5)], "tok_visa").await; // beyond the stock
    shop.send(reqwest::Method::GET, "forged.token.here", "/api/v1/users/me", None).await;
    shop.gateway.get("/api/v1/products").await;
    shop.gateway.get("/api/v1/products").await;
    for _ in 0..5 {
        let through_proxy = http.get(format!("http://{}/api/v1/products", proxied.listen)).send().await.unwrap();
        assert_eq!(through_proxy.status(), 200);
    }
    shop.notifications(&ada, 4).await;
    let noisy = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 9])).build().unwrap();
    let mut limited = 0;
    for _ in 0..120 {
        if noisy.get(shop.gateway.url("/api/v1/categories")).send().await.unwrap().status() == 429 {
            limited += 1;
        }
    }
    assert!(limited > 0, "the noisy client was never limited");

    // Every panel query returns series (give the 1 s scrapes time to see the traffic).
    let mut checked = 0;
    for (file, dashboard) in dashboards() {
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = substitute(target["expr"].as_str().unwrap());
                let what = format!("{file} / {}: {expr}", panel["title"]);
                eventually(&what, Duration::from_secs(60), || prometheus.has_series(&expr)).await;
                checked += 1;
            }
        }
        for variable in dashboard["templating"]["list"].as_array().unwrap() {
            let query = variable["query"]["query"].as_str().unwrap();
            let inner = query.trim_start_matches("label_values(").trim_end_matches(')');
            let (selector, _label) = inner.rsplit_once(',').unwrap();
            let expr = substitute(selector.trim());
            eventually(&format!("{file} variable {query}"), Duration::from_secs(30), || prometheus.has_series(&expr))
                .await;
        }
    }
    eprintln!("{checked} panel queries returned series");

    // Rules: loaded and healthy; recording rules produce data; alerts read existing metrics.
    let rules: Value =
        http.get(format!("{}/api/v1/rules", prometheus.base)).send().await.unwrap().json().await.unwrap();
    let groups = rules["data"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3, "{rules}");
    let mut alerts = 0;
    for rule in groups.iter().flat_map(|g| g["rules"].as_array().unwrap()) {
        assert_eq!(rule["health"], "ok", "{rule}");
        match rule["type"].as_str().unwrap() {
            "recording" => {
                let name = rule["name"].as_str().unwrap().to_owned();
                eventually(&format!("recording rule {name}"), Duration::from_secs(30), || prometheus.has_series(&name))
                    .await;
            }
            _ => {
                alerts += 1;
                for metric in metrics_in(rule["query"].as_str().unwrap()) {
                    eventually(&format!("alert {} reads {metric}", rule["name"]), Duration::from_secs(30), || {
                        prometheus.has_series(&metric)
                    })
                    .await;
                }
            }
        }
    }
    assert!(alerts >= 7, "{alerts} alerts");

    // Exemplars reached Prometheus (OpenMetrics scrape with exemplar storage on).
    let exemplars: Value = http
        .get(format!("{}/api/v1/query_exemplars", prometheus.base))
        .query(&[
            ("query", "http_server_request_duration_seconds_bucket{service=\"gateway\"}"),
            ("start", "0"),
            ("end", "4102444800"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(exemplars["status"], "success");
}

#[test]
fn metric_names_are_found_in_alert_expressions() {
    let names = metrics_in(
        r#"shop:checkout_error_ratio:rate1h > (14.4 * 0.001) and max by (service) (outbox_pending_messages{a="b"}) > 100"#,
    );
    assert_eq!(names, ["shop:checkout_error_ratio:rate1h", "outbox_pending_messages"]);
}
