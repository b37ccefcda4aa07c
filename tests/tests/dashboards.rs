//! The dashboards and alerts, checked against a real Prometheus: it scrapes
//! the whole shop (in this process) while checkouts, a declined payment, an
//! order beyond the stock, a forged token and a rate-limited client go
//! through; then every panel's query and every template variable must
//! return series, every recording rule must produce data, and every metric
//! an alert reads must exist. `promtool` checks the configuration and runs
//! the alert unit tests, which must have, for every alert, a case where it
//! fires and one where it does not. (Grafana itself cannot run here; its
//! provisioning files are checked for the references it would resolve.)

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e::{Options, Shop, repository};
use platform::config::TelemetrySettings;
use platform::telemetry::init_telemetry_with_writer;
use platform::test_util::prometheus::{TestPrometheus, prometheus_image};
use platform::test_util::{OtlpReceiver, eventually};
use serde_json::Value;

fn promtool(image: &str, args: &[&str]) {
    let dashboards = repository().join("dashboards");
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

/// The `.yml` files in `dashboards/prometheus/<folder>`, sorted.
fn prometheus_files(folder: &str) -> Vec<PathBuf> {
    let dir = repository().join("dashboards/prometheus").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .yml files in {}", dir.display());
    files
}

/// `folder/file.yml` as the promtool container sees it.
fn in_container(folder: &str, path: &Path) -> String {
    format!("/d/prometheus/{folder}/{}", path.file_name().unwrap().to_string_lossy())
}

#[test]
fn promtool_accepts_the_configuration_and_the_alert_tests_pass() {
    let image = prometheus_image();
    promtool(&image, &["check", "config", "/d/prometheus/prometheus.yml"]);
    for (command, folder) in [("check", "rules"), ("test", "tests")] {
        let files: Vec<String> = prometheus_files(folder).iter().map(|f| in_container(folder, f)).collect();
        let mut args = vec![command, "rules"];
        args.extend(files.iter().map(String::as_str));
        promtool(&image, &args);
    }
}

fn read_yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sequence<'a>(value: &'a serde_yaml::Value, key: &str, what: &str) -> &'a [serde_yaml::Value] {
    match &value[key] {
        serde_yaml::Value::Null => &[],
        other => other.as_sequence().unwrap_or_else(|| panic!("{what}: `{key}` is not a list")).as_slice(),
    }
}

/// What is wrong with the alert tests: an alert (name, rule file) without a
/// case where it fires or without one where it stays quiet, or a case for an
/// alert its test file does not load (such a case passes whatever it says).
fn alert_test_gaps(rules: &[(PathBuf, serde_yaml::Value)], tests: &[(PathBuf, serde_yaml::Value)]) -> Vec<String> {
    let mut alerts = Vec::new();
    for (file, yaml) in rules {
        for group in sequence(yaml, "groups", &file.display().to_string()) {
            for rule in sequence(group, "rules", &file.display().to_string()) {
                if let Some(alert) = rule["alert"].as_str() {
                    alerts.push((alert.to_owned(), file.clone()));
                }
            }
        }
    }
    let mut firing = HashSet::new();
    let mut quiet = HashSet::new();
    let mut gaps = Vec::new();
    for (file, yaml) in tests {
        let what = file.display().to_string();
        let loaded: HashSet<PathBuf> = sequence(yaml, "rule_files", &what)
            .iter()
            .map(|f| {
                let f = f.as_str().unwrap_or_else(|| panic!("{what}: rule_files holds a non-string"));
                let path = file.parent().unwrap().join(f);
                path.canonicalize().unwrap_or_else(|e| panic!("{what}: rule file {f}: {e}"))
            })
            .collect();
        for test in sequence(yaml, "tests", &what) {
            for case in sequence(test, "alert_rule_test", &what) {
                let name = case["alertname"].as_str().unwrap_or_else(|| panic!("{what}: a case without alertname"));
                let defined = alerts
                    .iter()
                    .any(|(alert, rule_file)| alert == name && loaded.contains(&rule_file.canonicalize().unwrap()));
                if !defined {
                    gaps.push(format!("{what}: tests {name}, which none of its rule_files defines"));
                }
                // promtool reads a missing exp_alerts as none.
                if sequence(case, "exp_alerts", &what).is_empty() {
                    quiet.insert(name.to_owned());
                } else {
                    firing.insert(name.to_owned());
                }
            }
        }
    }
    for (alert, file) in &alerts {
        if !firing.contains(alert) {
            gaps.push(format!("{alert} ({}): no alert_rule_test where it fires", file.display()));
        }
        if !quiet.contains(alert) {
            gaps.push(format!("{alert} ({}): no alert_rule_test with exp_alerts: [] for it", file.display()));
        }
    }
    gaps
}

/// Every alert has a promtool case where it fires and one where it does not.
#[test]
fn every_alert_has_a_firing_and_a_quiet_promtool_case() {
    let load =
        |folder: &str| prometheus_files(folder).into_iter().map(|f| (f.clone(), read_yaml(&f))).collect::<Vec<_>>();
    let (rules, tests) = (load("rules"), load("tests"));
    let gaps = alert_test_gaps(&rules, &tests);
    assert!(gaps.is_empty(), "alerts without promtool cases:\n{}", gaps.join("\n"));
}

#[test]
fn alert_test_gaps_finds_an_alert_without_cases() {
    let rules = vec![(
        repository().join("dashboards/prometheus/rules/operations.yml"),
        serde_yaml::from_str(
            "groups: [{name: g, rules: [{alert: Tested, expr: up == 0}, {alert: Untested, expr: up == 0}]}]",
        )
        .unwrap(),
    )];
    let tests = vec![(
        repository().join("dashboards/prometheus/tests/example_test.yml"),
        serde_yaml::from_str(
            "rule_files: [../rules/operations.yml]
tests:
  - alert_rule_test:
      - { alertname: Tested, exp_alerts: [{ exp_labels: {} }] }
      - { alertname: Tested, exp_alerts: [] }
      - { alertname: Misspelled }",
        )
        .unwrap(),
    )];
    let gaps = alert_test_gaps(&rules, &tests);
    assert_eq!(gaps.len(), 3, "{gaps:#?}");
    assert!(gaps[0].contains("Misspelled, which none of its rule_files defines"), "{gaps:#?}");
    assert!(gaps[1].starts_with("Untested") && gaps[1].contains("where it fires"), "{gaps:#?}");
    assert!(gaps[2].starts_with("Untested") && gaps[2].contains("exp_alerts: []"), "{gaps:#?}");
}

fn dashboards() -> Vec<(String, Value)> {
    let dir = repository().join("dashboards/grafana/dashboards");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        found.push((path.file_name().unwrap().to_string_lossy().into_owned(), json));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The provisioned datasources: uid -> type.
fn provisioned_datasources() -> BTreeMap<String, String> {
    let file = read_yaml(&repository().join("dashboards/grafana/provisioning/datasources/datasources.yml"));
    sequence(&file, "datasources", "datasources.yml")
        .iter()
        .map(|d| (d["uid"].as_str().unwrap().to_owned(), d["type"].as_str().unwrap().to_owned()))
        .collect()
}

/// Every `datasourceUid` under `value`, wherever it is nested.
fn linked_uids(value: &serde_yaml::Value, found: &mut Vec<String>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    (Some("datasourceUid"), Some(uid)) => found.push(uid.to_owned()),
                    _ => linked_uids(inner, found),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|item| linked_uids(item, found)),
        _ => {}
    }
}

/// The three signals are linked both ways, and every link names a
/// provisioned datasource: exemplar -> trace, trace -> logs and metrics,
/// log line -> trace.
#[test]
fn the_datasources_link_metrics_traces_and_logs_both_ways() {
    let provisioned = provisioned_datasources();
    let types: BTreeSet<&str> = provisioned.values().map(String::as_str).collect();
    assert_eq!(types, BTreeSet::from(["jaeger", "loki", "prometheus"]), "{provisioned:?}");
    let file = read_yaml(&repository().join("dashboards/grafana/provisioning/datasources/datasources.yml"));
    let of_type = |kind: &str| {
        sequence(&file, "datasources", "datasources.yml").iter().find(|d| d["type"] == kind).unwrap()["jsonData"]
            .clone()
    };
    let uid_of = |kind: &str| provisioned.iter().find(|(_, t)| *t == kind).unwrap().0.clone();
    let (prometheus, jaeger, loki) = (of_type("prometheus"), of_type("jaeger"), of_type("loki"));
    let exemplar_to = prometheus["exemplarTraceIdDestinations"][0]["datasourceUid"].as_str();
    assert_eq!(exemplar_to, Some(uid_of("jaeger").as_str()), "exemplar -> trace");
    let logs = &jaeger["tracesToLogsV2"];
    assert_eq!(logs["datasourceUid"].as_str(), Some(uid_of("loki").as_str()), "trace -> logs");
    assert!(
        logs["query"].as_str().unwrap().contains("trace_id=\"$${__trace.traceId}\""),
        "by the trace's id: {logs:?}"
    );
    assert_eq!(
        jaeger["tracesToMetrics"]["datasourceUid"].as_str(),
        Some(uid_of("prometheus").as_str()),
        "trace -> metrics"
    );
    let derived = &loki["derivedFields"][0];
    assert_eq!(derived["datasourceUid"].as_str(), Some(uid_of("jaeger").as_str()), "log line -> trace");
    assert_eq!((derived["matcherType"].as_str(), derived["matcherRegex"].as_str()), (Some("label"), Some("trace_id")));
    let mut linked = Vec::new();
    linked_uids(&file, &mut linked);
    assert_eq!(linked.len(), 4, "exemplar, trace -> logs, trace -> metrics, log line -> trace: {linked:?}");
    for uid in linked {
        assert!(provisioned.contains_key(&uid), "a link to datasource {uid:?}, which is not provisioned");
    }
}

#[test]
fn dashboards_are_valid_for_grafana_provisioning() {
    let datasources = provisioned_datasources();
    let provisioned: HashSet<&str> = datasources.keys().map(String::as_str).collect();
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
            if panel["type"] == "logs" {
                // LogQL on the OTLP records' service_name, the dashboard's variable.
                assert_eq!(datasources[uid], "loki", "{file}: a logs panel reads Loki");
                assert_eq!(panel["targets"][0]["expr"], r#"{service_name=~"$service"}"#, "{file}: logs panel");
                let variables = dashboard["templating"]["list"].as_array().unwrap();
                assert!(variables.iter().any(|v| v["name"] == "service"), "{file}: no service variable");
            }
        }
        for variable in dashboard["templating"]["list"].as_array().unwrap() {
            assert!(
                provisioned.contains(variable["datasource"]["uid"].as_str().unwrap()),
                "{file}: variable datasource"
            );
        }
        let kinds: Vec<&str> = panels.iter().filter_map(|p| p["type"].as_str()).collect();
        let expected_logs = ["checkout.json", "shop-overview.json"].contains(&file.as_str());
        assert_eq!(kinds.contains(&"logs"), expected_logs, "{file}: a Logs panel on the overview and checkout only");
        assert_eq!(kinds.contains(&"nodeGraph"), file == "shop-overview.json", "{file}: the service map");
        let windows = fault_windows(dashboard);
        assert!(provisioned.contains(windows["datasource"]["uid"].as_str().unwrap()), "{file}: annotation datasource");
        assert_eq!(windows["enable"], true, "{file}: fault windows shown by default");
    }
}

/// Every panel teaches: a description of what it shows, the pattern it
/// watches as rows of docs/patterns.md (`Pattern: docs/patterns.md §
/// <section> — <row>; <row>`, all of which must exist), and any experiment it
/// names (`payments-slow`) must be one of chaos/experiments/.
#[test]
fn every_panel_says_what_it_shows_which_pattern_it_watches_and_what_an_experiment_does() {
    let patterns = std::fs::read_to_string(repository().join("docs/patterns.md")).unwrap();
    let sections: Vec<&str> = patterns.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let rows: Vec<&str> = patterns.lines().filter_map(|l| l.strip_prefix("| ")?.split(" |").next()).collect();
    let experiments: HashSet<String> = std::fs::read_dir(repository().join("chaos/experiments"))
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let mut panels = 0;
    for (file, dashboard) in dashboards() {
        for panel in dashboard["panels"].as_array().unwrap() {
            panels += 1;
            let what = format!("{file}: {}", panel["title"]);
            let description = panel["description"].as_str().unwrap_or_default();
            let (text, reference) = description
                .split_once("Pattern: docs/patterns.md § ")
                .unwrap_or_else(|| panic!("{what}: no pattern named in {description:?}"));
            assert!(text.trim().len() > 40, "{what}: say what the panel shows: {text:?}");
            let (section, named_rows) = reference.split_once(" — ").unwrap_or_else(|| panic!("{what}: {reference:?}"));
            assert!(sections.contains(&section.trim()), "{what}: no section {section:?} in docs/patterns.md");
            for row in named_rows.split("; ") {
                assert!(rows.contains(&row.trim()), "{what}: no row {row:?} in docs/patterns.md");
            }
            // Hyphenated names in backticks are experiments, but for the
            // load generator, its dashboard and its header.
            for (i, quoted) in text.split('`').enumerate() {
                let hyphenated = quoted.contains('-')
                    && quoted.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if i % 2 == 1 && hyphenated && !["shop-load", "load-test", "x-load-test"].contains(&quoted) {
                    assert!(experiments.contains(quoted), "{what}: names experiment {quoted:?}, which does not exist");
                }
            }
        }
    }
    assert_eq!(panels, 53, "every panel of the five dashboards was looked at");
}

/// A dashboard's "Fault windows" annotation: every dashboard shades them.
fn fault_windows(dashboard: &Value) -> &Value {
    let annotations = dashboard["annotations"]["list"].as_array().expect("annotations");
    let windows = annotations.iter().find(|a| a["name"] == "Fault windows");
    windows.unwrap_or_else(|| panic!("{}: no \"Fault windows\" annotation", dashboard["title"]))
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

/// A load worker's live metrics (`shop-load --metrics-addr`), served from
/// this process with one request of each outcome and one dropped arrival
/// counted, for the Load test dashboard's load-generator panels.
async fn load_worker_metrics() -> std::net::SocketAddr {
    use loadtests::live::{self, Run, Sample, Worker};
    let run = Run { id: "dashboards".into(), profile: "smoke".into(), mode: "closed", plan: "1,1s;1,1m;0,1s".into() };
    let live = live::enable(Worker { index: 0, count: 1 }, &run, loadtests::plan::Phases::of_run(run.mode, &run.plan));
    live.start();
    live.user_started();
    live.dropped();
    let scenario: std::sync::Arc<str> = "anonymous browsing".into();
    for (status, success) in [(200, true), (503, false)] {
        let name = "browse: list products";
        live.count(&Sample {
            scenario: &scenario,
            transaction: &scenario,
            method: "GET",
            name,
            status,
            success,
            seconds: 0.01,
        });
    }
    live::server::serve(live, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

#[tokio::test]
async fn every_panel_and_alert_query_returns_series_from_a_real_prometheus() {
    // Traces to a receiver in the test: latency observations then carry the
    // trace ids that exemplars are made of.
    let receiver = OtlpReceiver::start().await;
    let telemetry = init_telemetry_with_writer(
        "shop",
        &TelemetrySettings::exporting_to(receiver.endpoint(), "info,sqlx=warn"),
        std::io::sink,
    );
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
    targets.push(("loadgen".into(), load_worker_metrics().await.to_string()));
    let prometheus = TestPrometheus::start(&targets, Some(&repository().join("dashboards/prometheus/rules"))).await;
    let http = reqwest::Client::new();

    // A request in a trace of the test's own: the only one on the gateway's
    // `/health` series, so that series' exemplar can only be this trace.
    let own_trace = uuid::Uuid::new_v4().simple().to_string();
    let traceparent = format!("00-{own_trace}-{}-01", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let health = http.get(shop.gateway.url("/health")).header("traceparent", &traceparent).send().await.unwrap();
    assert_eq!(health.status(), 200);

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
    // A visitor of the storefront: its calls to the gateway (web -> gateway).
    assert_eq!(shop.web.get(&format!("/products/{mug}")).await.status(), 200);
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

    // Every panel query returns series (give the 1 s scrapes time to see the
    // traffic); Loki's panels are checked by `dashboards_are_valid_...`.
    let mut checked = 0;
    for (file, dashboard) in dashboards() {
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap().iter().filter(|t| t["datasource"]["uid"] == "prometheus")
            {
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

    // The service map: exactly the architecture's edges, each with traffic.
    // A round of traffic on every edge each time, after Prometheus has seen
    // the edges' series, so that each rate over the window is above 0.
    let map = service_map_edges();
    let expected = architecture_edges();
    let cup = shop.product("CUP-1", 500, 1000).await;
    let started = std::time::Instant::now();
    let mut round = 0;
    let edges = loop {
        round += 1;
        let customer = shop.register(&format!("map-{round}@example.org")).await; // gateway → auth → users
        shop.get(&customer, "/api/v1/users/me").await;
        shop.get(&customer, &format!("/api/v1/products/{cup}")).await;
        shop.get(&customer, &format!("/api/v1/inventory/{cup}")).await;
        assert_eq!(shop.web.get(&format!("/products/{cup}")).await.status(), 200); // web → gateway
        // gateway → orders → catalog, inventory, payments → payment-provider;
        // orders → the queues → inventory, notifications → users, email-api.
        assert_eq!(shop.order(&customer, &[(cup, 1)], "tok_visa").await.status(), 201);
        shop.notifications(&customer, 1).await;
        let edges = edges_of(&prometheus.query(&map).await);
        let found: BTreeSet<(String, String)> = edges.keys().cloned().collect();
        if found == expected && edges.values().all(|rate| *rate > 0.0) {
            break edges;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the service map differs from the architecture:\nmissing: {:?}\nextra: {:?}\nall: {edges:?}",
            expected.difference(&found).collect::<Vec<_>>(),
            found.difference(&expected).collect::<Vec<_>>(),
        );
        tokio::time::sleep(Duration::from_secs(1)).await; // the next scrape
    };
    eprintln!("service map after {round} rounds ({} edges, calls or messages per second):", edges.len());
    for ((source, target), rate) in &edges {
        eprintln!("  {source} → {target}: {rate:.3}");
    }

    // Fault windows: a toxic added by hand (above) and a fault the runner
    // announces (a partitioned container) are both shaded, on every dashboard.
    let window = serde_json::json!({ "kind": "partition", "target": "container payments" });
    proxies.windows().open("payments partitioned", serde_json::from_value(window).unwrap());
    for (file, dashboard) in dashboards() {
        let expr = fault_windows(&dashboard)["expr"].as_str().unwrap();
        for (label, value) in [("fault", "payments partitioned"), ("toxic", "slow")] {
            // A series of the expression with that label, or nothing.
            let series = format!(
                r#"sum by ({label}) ({expr}) and on({label}) label_replace(vector(1), "{label}", "{value}", "", "")"#
            );
            eventually(&format!("{file}: the fault window of {label} {value}"), Duration::from_secs(30), || {
                prometheus.has_series(&series)
            })
            .await;
        }
    }

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

    // Exemplars reached Prometheus (OpenMetrics scrape with exemplar storage
    // on), and they point at this run's traces: the test's own request among
    // them, and every one a trace the services exported.
    let gateway_exemplars = || async {
        let answer: Value = http
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
        assert_eq!(answer["status"], "success", "{answer}");
        let mut found: Vec<(String, String)> = Vec::new();
        for series in answer["data"].as_array().unwrap() {
            let route = series["seriesLabels"]["http_route"].as_str().unwrap_or_default().to_owned();
            for exemplar in series["exemplars"].as_array().unwrap() {
                let trace_id = exemplar["labels"]["trace_id"].as_str();
                found.push((route.clone(), trace_id.unwrap_or_else(|| panic!("no trace_id: {exemplar}")).to_owned()));
            }
        }
        found
    };
    eventually("an exemplar for the test's own request", Duration::from_secs(30), || async {
        gateway_exemplars().await.contains(&("/health".to_owned(), own_trace.clone()))
    })
    .await;
    let exemplars = gateway_exemplars().await;
    assert!(exemplars.iter().any(|(route, _)| route == "/api/v1/orders"), "no exemplar for checkouts: {exemplars:?}");
    eventually("every exemplar is an exported trace", Duration::from_secs(30), || {
        telemetry.flush();
        let exported: HashSet<String> = receiver.spans().into_iter().map(|s| s.trace_id).collect();
        let missing: Vec<&(String, String)> = exemplars.iter().filter(|(_, id)| !exported.contains(id)).collect();
        if !missing.is_empty() {
            eprintln!("exemplars without an exported trace (yet): {missing:?}");
        }
        async move { missing.is_empty() }
    })
    .await;
}

/// The service map's first query (the edges and their rates), as the test evaluates it.
fn service_map_edges() -> String {
    let (_, overview) = dashboards().into_iter().find(|(file, _)| file == "shop-overview.json").unwrap();
    let panel = overview["panels"].as_array().unwrap().iter().find(|p| p["type"] == "nodeGraph").unwrap().clone();
    substitute(panel["targets"][0]["expr"].as_str().unwrap())
}

/// (source, target) -> value of every series of an instant query's result.
fn edges_of(result: &Value) -> BTreeMap<(String, String), f64> {
    result
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|series| {
            let label = |name: &str| series["metric"][name].as_str().unwrap_or_default().to_owned();
            let value = series["value"][1].as_str().unwrap().parse().unwrap();
            ((label("source"), label("target")), value)
        })
        .collect()
}

/// The architecture's edges: every HTTP contract's consumer -> provider,
/// and for every event contract the producer -> the consumer's queue ->
/// the consumer.
fn architecture_edges() -> BTreeSet<(String, String)> {
    let queue_of = |consumer: &str| match consumer {
        "inventory" => inventory::consumer::queue().queue,
        "notifications" => notifications::consumer::queue().queue,
        other => panic!("an event contract with a consumer that has no queue here: {other}"),
    };
    let mut edges = BTreeSet::new();
    for entry in std::fs::read_dir(repository().join("contracts/pacts")).unwrap() {
        let pact: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let consumer = pact["consumer"]["name"].as_str().unwrap().to_owned();
        let provider = pact["provider"]["name"].as_str().unwrap().to_owned();
        if pact["interactions"].as_array().unwrap().iter().all(|i| i["type"] == "Asynchronous/Messages") {
            edges.insert((provider, queue_of(&consumer)));
            edges.insert((queue_of(&consumer), consumer));
        } else {
            edges.insert((consumer, provider));
        }
    }
    edges
}

#[test]
fn the_architecture_has_http_and_broker_edges() {
    let edges = architecture_edges();
    assert!(edges.contains(&("orders".into(), "payments".into())), "{edges:?}");
    assert!(edges.contains(&("orders".into(), "notifications.order-events".into())), "{edges:?}");
    assert!(edges.contains(&("notifications.order-events".into(), "notifications".into())), "{edges:?}");
}

#[test]
fn metric_names_are_found_in_alert_expressions() {
    let names = metrics_in(
        r#"shop:checkout_error_ratio:rate1h > (14.4 * 0.001) and max by (service) (outbox_pending_messages{a="b"}) > 100"#,
    );
    assert_eq!(names, ["shop:checkout_error_ratio:rate1h", "outbox_pending_messages"]);
}
