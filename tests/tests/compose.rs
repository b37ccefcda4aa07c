//! `docker compose up` in the repository root: the repository's `.env`
//! (read by docker-compose 1.29 and `docker compose` v2 alike) names the
//! stack's file, the project name the scripts use, and the `ui` profile, so
//! the whole testbed starts with its UI; every shop service can be built
//! (its Dockerfile target) or pulled (its image named by SHOP_REGISTRY and
//! SHOP_TAG).

use std::collections::{BTreeMap, BTreeSet};

use e2e::repository;
use serde_yaml::Value;

fn dot_env() -> BTreeMap<String, String> {
    std::fs::read_to_string(repository().join(".env"))
        .expect("a .env in the repository root")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (key, value) = l.split_once('=').unwrap_or_else(|| panic!("not KEY=value: {l}"));
            (key.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
}

#[test]
fn docker_compose_up_in_the_root_starts_the_whole_stack_with_its_ui() {
    let env = dot_env();
    let file = &env["COMPOSE_FILE"];
    let common = std::fs::read_to_string(repository().join("scripts/lib/common.sh")).unwrap();
    assert!(common.contains(&format!("COMPOSE_FILE_PATH=\"$REPO_ROOT/{file}\"")), "the scripts' file: {file}");
    assert!(common.contains(&format!("COMPOSE_PROJECT_NAME:-{}", env["COMPOSE_PROJECT_NAME"])), "the scripts' project");
    let profiles: BTreeSet<&str> = env["COMPOSE_PROFILES"].split(',').collect();
    assert_eq!(profiles, BTreeSet::from(["ui"]));

    let mut compose: Value = serde_yaml::from_str(&std::fs::read_to_string(repository().join(file)).unwrap()).unwrap();
    compose.apply_merge().unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let in_ui: BTreeSet<&str> = services
        .iter()
        .filter(|(_, s)| s["profiles"].as_sequence().is_some_and(|p| p.iter().any(|p| p == "ui")))
        .map(|(name, _)| name.as_str().unwrap())
        .collect();
    assert_eq!(in_ui, BTreeSet::from(["grafana", "jaeger", "loki", "otel-collector"]));
    for (name, service) in services {
        let image = service["image"].as_str().unwrap_or_default();
        if image.starts_with("${SHOP_REGISTRY:-testbed}/") {
            // The load workers are named for what they are; they run
            // shop-load. The experiment desk is the chaos runner's `desk`.
            let name = match name.as_str().unwrap() {
                "loadgen" => "shop-load",
                "chaos-desk" => "chaos",
                name => name,
            };
            assert_eq!(image, format!("${{SHOP_REGISTRY:-testbed}}/{name}:${{SHOP_TAG:-latest}}"), "{name}");
            assert_eq!(service["build"]["target"].as_str(), Some(name), "{name}: its Dockerfile target");
            assert_eq!(service["build"]["dockerfile"], "deploy/images/shop/Dockerfile", "{name}");
        }
    }
    // The scripts choose their own profiles: .env's must not start the UI
    // where no registry can give its images.
    assert!(common.contains("COMPOSE_PROFILES=\"\" docker compose"), "scripts/lib/common.sh overrides the profiles");
}

/// Seconds in a compose duration such as `30s`, `1m` or `1m30s`.
fn seconds(duration: &str) -> u64 {
    let (mut total, mut number) = (0, String::new());
    for c in duration.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' => {
                let unit = match c {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                total += number.parse::<u64>().unwrap_or_else(|_| panic!("a duration: {duration}")) * unit;
                number.clear();
            }
            _ => panic!("a duration in h, m and s: {duration}"),
        }
    }
    assert!(number.is_empty(), "a unit after every number: {duration}");
    total
}

#[test]
fn a_stack_left_running_is_probed_rarely_and_starts_without_waiting_for_probes() {
    // Every probe is a process exec'd in its container: at every 2 s they
    // kept half a core busy with nobody using the stack (docs/benchmarks.md,
    // the idle suite). Docker runs the first probe only one interval after
    // the start, so nothing may wait for `service_healthy` either: a start
    // order only, and scripts/up.sh probes by itself while the stack starts.
    let mut compose: Value =
        serde_yaml::from_str(&std::fs::read_to_string(repository().join(&dot_env()["COMPOSE_FILE"])).unwrap()).unwrap();
    compose.apply_merge().unwrap();
    let mut probed = 0;
    for (name, service) in compose["services"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if let Some(interval) = service["healthcheck"]["interval"].as_str() {
            probed += 1;
            assert!(seconds(interval) >= 30, "{name} is probed every {interval}");
            let probe = serde_yaml::to_string(&service["healthcheck"]["test"]).unwrap();
            assert!(!probe.contains("rabbitmq-diagnostics"), "{name}: a probe that boots an Erlang VM: {probe}");
        }
        for (dependency, how) in service["depends_on"].as_mapping().into_iter().flatten() {
            assert_ne!(how["condition"], "service_healthy", "{name} waits for a probe of {dependency:?}");
        }
    }
    assert!(
        probed >= 13,
        "the shop, the proxy, the simulators, Postgres and RabbitMQ keep their healthchecks: {probed}"
    );
    assert_eq!((seconds("30s"), seconds("1m30s"), seconds("2h")), (30, 90, 7200));
}
