//! The Kubernetes manifests (deploy/kubernetes/), checked where no cluster
//! can run: every overlay renders with `kubectl kustomize` and validates
//! against the official schemas of a pinned Kubernetes version with unknown
//! fields refused (`kubernetes-validate --strict`, installed by .ci/run);
//! the rendered objects follow the project's policies; and every service
//! runs as in compose (same command, environment variable names and port).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;

use e2e::repository;
use serde_yaml::Value;

/// The Kubernetes version the objects are validated against.
const KUBERNETES_VERSION: &str = "1.32.0";
const OVERLAYS: [&str; 4] = ["dev", "scaled", "with-components", "load"];
/// Kinds outside the core schemas (Gateway API, the Prometheus Operator):
/// checked by the tests here.
const CUSTOM_KINDS: [&str; 2] = ["HTTPRoute", "PodMonitor"];

/// Runs a tool the test cannot do without; says how to get it when missing.
fn run(program: &str, args: &[&str], install: &str) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(repository())
        .output()
        .unwrap_or_else(|e| panic!("{program} could not run ({e}): {install}"))
}

/// Every overlay rendered once for the whole test binary: its YAML and its
/// objects (the tests run in parallel and read them all).
fn render(overlay: &str) -> &'static (String, Vec<Value>) {
    static RENDERED: OnceLock<BTreeMap<&'static str, (String, Vec<Value>)>> = OnceLock::new();
    &RENDERED.get_or_init(|| OVERLAYS.iter().map(|overlay| (*overlay, kustomize(overlay))).collect())[overlay]
}

/// `kubectl kustomize` of an overlay, or of `with-components`: the dev
/// overlay with both optional components (written under target/, since
/// Kustomize takes only relative paths to other kustomizations).
fn kustomize(overlay: &str) -> (String, Vec<Value>) {
    let path = if overlay == "with-components" {
        let dir = repository().join("target/kubernetes-check/with-components");
        std::fs::create_dir_all(&dir).expect("a directory under target/");
        let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
            resources:\n  - ../../../deploy/kubernetes/overlays/dev\ncomponents:\n\
            \x20 - ../../../deploy/kubernetes/components/ingress\n\
            \x20 - ../../../deploy/kubernetes/components/prometheus-operator\n";
        std::fs::write(dir.join("kustomization.yaml"), kustomization).expect("write the kustomization");
        "target/kubernetes-check/with-components".to_owned()
    } else {
        format!("deploy/kubernetes/overlays/{overlay}")
    };
    let output = run("kubectl", &["kustomize", &path], "kubectl is needed (it ships Kustomize)");
    assert!(output.status.success(), "kubectl kustomize {path}: {}", String::from_utf8_lossy(&output.stderr));
    let yaml = String::from_utf8(output.stdout).expect("UTF-8");
    let objects = serde_yaml::Deserializer::from_str(&yaml)
        .map(|document| serde::Deserialize::deserialize(document).expect("rendered YAML parses"))
        .collect();
    (yaml, objects)
}

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

fn of_kind<'a>(objects: &'a [Value], wanted: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    objects.iter().filter(move |o| kind(o) == wanted)
}

/// The shop's own workloads: the services, the simulators, chaos-proxy.
fn shop_deployments(objects: &[Value]) -> Vec<&Value> {
    of_kind(objects, "Deployment")
        .filter(|d| {
            let component = d["metadata"]["labels"]["app.kubernetes.io/component"].as_str();
            matches!(component, Some("api" | "proxy"))
        })
        .collect()
}

fn containers(workload: &Value) -> Vec<&Value> {
    workload["spec"]["template"]["spec"]["containers"].as_sequence().map(|c| c.iter().collect()).unwrap_or_default()
}

#[test]
fn every_overlay_renders_and_every_object_validates_against_the_kubernetes_schemas() {
    let install = "pip install kubernetes-validate (.ci/run does)";
    for overlay in OVERLAYS {
        let (yaml, objects) = render(overlay);
        assert!(objects.len() > 40, "{overlay}: only {} objects rendered", objects.len());
        let file = std::env::temp_dir().join(format!("testbed-kubernetes-{overlay}-{}.yaml", std::process::id()));
        std::fs::write(&file, yaml).expect("write the rendered objects");
        let output = run(
            "kubernetes-validate",
            &["--strict", "-k", KUBERNETES_VERSION, file.to_str().expect("a path")],
            install,
        );
        let _ = std::fs::remove_file(&file);
        let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(
            output.status.success(),
            "{overlay} does not validate against Kubernetes {KUBERNETES_VERSION}:\n{report}"
        );
        // Only the custom kinds may go unvalidated, and they are checked below.
        for line in report.lines().filter(|l| l.contains("Couldn't find schema")) {
            assert!(CUSTOM_KINDS.iter().any(|k| line.contains(&format!("kind {k} "))), "{overlay}: {line}");
        }
        let validated = report.lines().filter(|l| l.starts_with("INFO") && l.contains(" passed for resource ")).count();
        let custom = objects.iter().filter(|o| CUSTOM_KINDS.contains(&kind(o))).count();
        assert_eq!(validated, objects.len() - custom, "{overlay}: every core object validated:\n{report}");
    }
}

#[test]
fn every_shop_container_has_probes_resources_a_restricted_context_and_a_project_image() {
    for overlay in OVERLAYS {
        let (_, objects) = render(overlay);
        let deployments = shop_deployments(objects);
        assert_eq!(deployments.len(), 12, "{overlay}: the storefront, eight services, two simulators and chaos-proxy");
        for deployment in deployments {
            let what = format!("{overlay}/{}", name(deployment));
            let pod = &deployment["spec"]["template"]["spec"];
            assert_eq!(pod["securityContext"]["runAsNonRoot"], Value::Bool(true), "{what}: runAsNonRoot");
            assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", "{what}: seccomp");
            assert_eq!(pod["automountServiceAccountToken"], Value::Bool(false), "{what}: no API token");
            for container in containers(deployment) {
                for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
                    assert!(container[probe].is_mapping(), "{what}: {probe}");
                }
                for (bound, resource) in
                    [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")]
                {
                    assert!(!container["resources"][bound][resource].is_null(), "{what}: {bound}.{resource}");
                }
                let context = &container["securityContext"];
                assert_eq!(context["allowPrivilegeEscalation"], Value::Bool(false), "{what}: privilege escalation");
                assert_eq!(context["readOnlyRootFilesystem"], Value::Bool(true), "{what}: read-only root");
                assert_eq!(context["capabilities"]["drop"][0], "ALL", "{what}: capabilities");
                let image = container["image"].as_str().unwrap_or_default();
                // Its own image: one per service, as compose builds them.
                let own = format!("testbed/{}:", name(deployment));
                assert!(image.starts_with(&own), "{what}: its own image of this project, tagged: {image}");
                if overlay == "scaled" {
                    assert!(!image.ends_with(":latest"), "{what}: a pinned version in the scaled overlay: {image}");
                }
            }
        }
    }
}

/// A service stops within SHUTDOWN_GRACE_MS (10 s by default) of SIGTERM,
/// which Kubernetes sends after the pre-stop pause: the grace period must
/// cover both, and readiness must be on /ready and liveness on /health.
#[test]
fn pods_drain_before_they_are_killed() {
    let (_, objects) = render("dev");
    for deployment in shop_deployments(objects) {
        let what = name(deployment);
        let pod = &deployment["spec"]["template"]["spec"];
        let container = containers(deployment)[0];
        let paths = |probe: &str| container[probe]["httpGet"]["path"].as_str().unwrap_or_default().to_owned();
        if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "api" {
            assert_eq!(
                (paths("readinessProbe"), paths("livenessProbe")),
                ("/ready".into(), "/health".into()),
                "{what}"
            );
            let pause = container["lifecycle"]["preStop"]["exec"]["command"][1].as_str().unwrap_or_default();
            let pause: u64 = pause.parse().unwrap_or_else(|_| panic!("{what}: a pre-stop pause in seconds"));
            let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
            assert!(
                grace > pause + 10,
                "{what}: grace {grace} s must exceed the pause ({pause} s) and the service's 10 s"
            );
        }
    }
}

/// Secrets only through `secretKeyRef`, every key used, none inlined.
#[test]
fn secrets_come_from_secrets_and_every_secret_value_is_used() {
    let (yaml, objects) = render("dev");
    let secret = of_kind(objects, "Secret").next().expect("the shop's Secret");
    let keys: BTreeSet<String> =
        secret["data"].as_mapping().expect("data").keys().map(|k| k.as_str().expect("a key").to_owned()).collect();
    let mut referenced = BTreeSet::new();
    for workload in objects.iter().filter(|o| matches!(kind(o), "Deployment" | "StatefulSet")) {
        for container in containers(workload) {
            for variable in container["env"].as_sequence().into_iter().flatten() {
                let variable_name = variable["name"].as_str().unwrap_or_default();
                if let Some(key) = variable["valueFrom"]["secretKeyRef"]["key"].as_str() {
                    referenced.insert(key.to_owned());
                }
                if let Some(value) = variable["value"].as_str() {
                    assert!(
                        !variable_name.contains("PASSWORD") && !value.contains("password") && !value.contains(":shop-"),
                        "{}: {variable_name} inlines a secret: {value}",
                        name(workload)
                    );
                }
            }
        }
    }
    assert_eq!(referenced, keys, "every Secret key is used, and only Secret keys are referenced");
    assert!(!yaml.contains("dev-password@"), "no connection string with a password outside the Secret (base64)");
}

/// The same files as compose: the generated ConfigMaps hold the shared
/// files byte for byte (no copy under deploy/ to drift).
#[test]
fn shared_files_are_the_ones_compose_mounts() {
    let (_, objects) = render("dev");
    let config_map = |prefix: &str| {
        of_kind(objects, "ConfigMap")
            .find(|c| name(c).starts_with(&format!("{prefix}-")))
            .unwrap_or_else(|| panic!("a ConfigMap {prefix}"))
    };
    let read = |path: &str| std::fs::read_to_string(repository().join(path)).expect("a shared file");
    for (map, key, file) in [
        ("chaos-proxies", "proxies.json", "chaos/proxies.json"),
        ("postgres-init", "10-databases.sh", "deploy/postgres/init-databases.sh"),
        ("prometheus-rules", "slo.yml", "dashboards/prometheus/rules/slo.yml"),
        ("prometheus-rules", "operations.yml", "dashboards/prometheus/rules/operations.yml"),
        ("grafana-dashboards", "shop-overview.json", "dashboards/grafana/dashboards/shop-overview.json"),
        ("grafana-datasources", "datasources.yml", "dashboards/grafana/provisioning/datasources/datasources.yml"),
        ("otel-collector-config", "config.yaml", "deploy/otel-collector/config.yaml"),
        ("loki-config", "config.yaml", "deploy/loki/config.yaml"),
    ] {
        assert_eq!(config_map(map)["data"][key].as_str(), Some(read(file).as_str()), "{map}/{key} is {file}");
    }
}

/// chaos-proxy's Service exposes every listener of chaos/proxies.json, so
/// each edge the services are configured through exists on the cluster.
#[test]
fn every_chaos_listener_is_reachable_through_the_proxy_service() {
    let (_, objects) = render("dev");
    let service = of_kind(objects, "Service").find(|s| name(s) == "chaos-proxy").expect("chaos-proxy's Service");
    let exposed: BTreeSet<u64> =
        service["spec"]["ports"].as_sequence().expect("ports").iter().filter_map(|p| p["port"].as_u64()).collect();
    let proxies: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(repository().join("chaos/proxies.json")).expect("proxies"))
            .expect("JSON");
    for proxy in proxies {
        let listen = proxy["listen"].as_str().expect("listen");
        let port: u64 = listen.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
        assert!(exposed.contains(&port), "{} listens on {port}, not exposed by the Service", proxy["name"]);
    }
}

/// Every route, Ingress and PodMonitor leads to something that exists.
#[test]
fn every_route_and_ingress_backend_exists() {
    for overlay in OVERLAYS {
        let (_, objects) = render(overlay);
        let services: BTreeMap<&str, BTreeSet<u64>> = of_kind(objects, "Service")
            .map(|s| {
                let ports = s["spec"]["ports"].as_sequence().expect("ports").iter().filter_map(|p| p["port"].as_u64());
                (name(s), ports.collect())
            })
            .collect();
        let mut backends = Vec::new();
        for route in of_kind(objects, "HTTPRoute") {
            for rule in route["spec"]["rules"].as_sequence().expect("rules") {
                for backend in rule["backendRefs"].as_sequence().expect("backends") {
                    backends.push((name(route), &backend["name"], &backend["port"]));
                }
            }
        }
        for ingress in of_kind(objects, "Ingress") {
            for rule in ingress["spec"]["rules"].as_sequence().expect("rules") {
                let backend = &rule["http"]["paths"][0]["backend"]["service"];
                backends.push((name(ingress), &backend["name"], &backend["port"]["number"]));
            }
        }
        let (routes, ingresses) = (of_kind(objects, "HTTPRoute").count(), of_kind(objects, "Ingress").count());
        let expected = if overlay == "with-components" { (3, 3) } else { (4, 0) };
        assert_eq!((routes, ingresses), expected, "{overlay}: the way in (without Prometheus' own under the Operator)");
        for (from, service, port) in backends {
            let (service, port) = (service.as_str().expect("a name"), port.as_u64().expect("a port"));
            assert!(services.get(service).is_some_and(|p| p.contains(&port)), "{overlay}/{from}: {service}:{port}");
        }
        // The PodMonitor's ports are the shop containers' named ports.
        let named_ports: BTreeSet<&str> = objects
            .iter()
            .flat_map(containers)
            .flat_map(|c| c["ports"].as_sequence().into_iter().flatten())
            .filter_map(|p| p["name"].as_str())
            .collect();
        for monitor in of_kind(objects, "PodMonitor") {
            for endpoint in monitor["spec"]["podMetricsEndpoints"].as_sequence().expect("endpoints") {
                let port = endpoint["port"].as_str().expect("a named port");
                assert!(named_ports.contains(port), "{overlay}: PodMonitor port {port}");
            }
        }
        let operator = of_kind(objects, "PodMonitor").count() == 1;
        assert_eq!(
            operator,
            of_kind(objects, "Deployment").all(|d| name(d) != "prometheus"),
            "{overlay}: one Prometheus"
        );
    }
}

/// What compose sets and a cluster deliberately does not: the control
/// room's experiment desk runs beside compose only (its container faults
/// need the Docker CLI; on a cluster they need kubectl rights the shop's
/// namespace does not grant), so on a cluster the room says the desk does
/// not answer (docs/web.md).
const COMPOSE_ONLY: [(&str, &str); 1] = [("web", "CHAOS_DESK_URL")];

/// Every shop service as compose runs it: the same command, the same
/// environment variable names, the same port. Every difference is listed.
#[test]
fn every_service_runs_as_in_compose() {
    let compose: Value =
        serde_yaml::from_str(&std::fs::read_to_string(repository().join("docker-compose.observability.yml")).unwrap())
            .expect("the compose file parses");
    let mut compose = compose;
    compose.apply_merge().expect("merge keys resolve");
    let (_, objects) = render("dev");
    let config_keys = |config_map: &str| -> BTreeSet<String> {
        let map = of_kind(objects, "ConfigMap").find(|c| name(c) == config_map).expect("a referenced ConfigMap");
        map["data"].as_mapping().expect("data").keys().filter_map(|k| k.as_str().map(str::to_owned)).collect()
    };
    let mut differences = Vec::new();
    for deployment in shop_deployments(objects) {
        let service = name(deployment);
        let in_compose = &compose["services"][service];
        assert!(in_compose.is_mapping(), "{service} is not a compose service");
        let container = containers(deployment)[0];

        // The same image (compose's defaults: registry testbed, tag latest).
        let compose_image = in_compose["image"].as_str().unwrap_or_default();
        let compose_image = compose_image.replace("${SHOP_REGISTRY:-testbed}", "testbed");
        let compose_repository = compose_image.trim_end_matches(":${SHOP_TAG:-latest}");
        let repository = container["image"].as_str().unwrap_or_default().rsplit_once(':').map_or("", |(r, _)| r);
        if repository != compose_repository || in_compose["build"]["target"].as_str() != Some(service) {
            differences.push(format!(
                "{service}: image {repository} here, {compose_image} in compose (target {:?})",
                in_compose["build"]["target"]
            ));
        }
        if container["command"] != in_compose["command"] {
            differences.push(format!(
                "{service}: command {:?} here, {:?} in compose",
                container["command"], in_compose["command"]
            ));
        }
        let mut here: BTreeSet<String> = BTreeSet::new();
        for variable in container["env"].as_sequence().into_iter().flatten() {
            here.insert(variable["name"].as_str().expect("a name").to_owned());
        }
        for source in container["envFrom"].as_sequence().into_iter().flatten() {
            here.extend(config_keys(source["configMapRef"]["name"].as_str().expect("a ConfigMap")));
        }
        let there: BTreeSet<String> = in_compose["environment"]
            .as_mapping()
            .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        for missing in there.difference(&here) {
            if COMPOSE_ONLY.contains(&(service, missing.as_str())) {
                continue;
            }
            differences.push(format!("{service}: {missing} set in compose, not here"));
        }
        for extra in here.difference(&there) {
            differences.push(format!("{service}: {extra} set here, not in compose"));
        }
        let ports: BTreeSet<u64> = container["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|p| p["containerPort"].as_u64())
            .collect();
        let compose_port = match in_compose["environment"]["PORT"].as_str() {
            Some(port) => port.parse().expect("a port"),
            // chaos-proxy: its API port is an argument, as published by compose.
            None => in_compose["ports"][0].as_str().and_then(|p| p.rsplit(':').next()?.parse().ok()).expect("a port"),
        };
        if !ports.contains(&compose_port) {
            differences
                .push(format!("{service}: listens on {compose_port} in compose, container ports {ports:?} here"));
        }
    }
    assert!(differences.is_empty(), "Kubernetes and compose differ:\n{}", differences.join("\n"));
}

/// The NetworkPolicies allow exactly the architecture's edges: the HTTP
/// contracts of contracts/pacts/ (through chaos-proxy's listener of each
/// edge, or directly from the gateway), each service to its database and
/// the event contracts' services to the broker (through chaos-proxy too),
/// spans and logs to the collector and on to Jaeger and Loki, Prometheus
/// to every pod, Grafana to Loki, and the way in from outside.
#[test]
fn the_network_policies_allow_exactly_the_edges_of_the_architecture() {
    const ANYWHERE: &str = "(anywhere)";
    const EVERY_POD: &str = "(every pod)";
    let (_, objects) = render("dev");
    let proxies: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(repository().join("chaos/proxies.json")).unwrap()).unwrap();
    // chaos-proxy's listener port -> what is behind it: a service, the
    // broker, or one service's database ("postgres (orders)").
    let behind: BTreeMap<u64, String> = proxies
        .iter()
        .map(|p| {
            let port = p["listen"].as_str().unwrap().rsplit(':').next().unwrap().parse().unwrap();
            let host = p["upstream"].as_str().unwrap().split(':').next().unwrap();
            let database = p["name"].as_str().unwrap().strip_prefix("postgres-");
            (port, database.map_or(host.to_owned(), |database| format!("postgres ({database})")))
        })
        .collect();

    let mut allowed = BTreeSet::new();
    let mut proxy_reaches = BTreeSet::new();
    for policy in of_kind(objects, "NetworkPolicy") {
        let target = match policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str() {
            Some(name) => name.to_owned(),
            None => EVERY_POD.to_owned(),
        };
        for rule in policy["spec"]["ingress"].as_sequence().into_iter().flatten() {
            let sources: Vec<String> = rule["from"]
                .as_sequence()
                .expect("every ingress rule names its sources")
                .iter()
                .map(|from| match from["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str() {
                    Some(name) if from["namespaceSelector"].is_null() => name.to_owned(),
                    _ => ANYWHERE.to_owned(),
                })
                .collect();
            let ports: Vec<u64> = rule["ports"]
                .as_sequence()
                .expect("every rule names its ports")
                .iter()
                .map(|p| p["port"].as_u64().unwrap())
                .collect();
            for source in &sources {
                for port in &ports {
                    match behind.get(port) {
                        Some(upstream) if target == "chaos-proxy" => allowed.insert((source.clone(), upstream.clone())),
                        _ if source == "chaos-proxy" => proxy_reaches.insert(target.clone()),
                        _ => allowed.insert((source.clone(), target.clone())),
                    };
                }
            }
        }
    }
    // chaos-proxy may reach what is behind its listeners, and nothing else.
    let upstreams = proxies.iter().map(|p| p["upstream"].as_str().unwrap().split(':').next().unwrap().to_owned());
    assert_eq!(proxy_reaches, upstreams.collect(), "chaos-proxy's own connections");

    let mut expected = BTreeSet::new();
    let edge = |from: &str, to: &str| (from.to_owned(), to.to_owned());
    for entry in std::fs::read_dir(repository().join("contracts/pacts")).unwrap() {
        let pact: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let (consumer, provider) =
            (pact["consumer"]["name"].as_str().unwrap(), pact["provider"]["name"].as_str().unwrap());
        let messages = pact["interactions"].as_array().unwrap().iter().all(|i| i["type"] == "Asynchronous/Messages");
        if messages {
            expected.insert(edge(consumer, "rabbitmq"));
            expected.insert(edge(provider, "rabbitmq"));
        } else {
            expected.insert(edge(consumer, provider));
        }
    }
    let services = ["web", "gateway", "auth", "users", "catalog", "inventory", "orders", "payments", "notifications"];
    // Spans and log records go to the collector, which sends them on.
    for service in services.iter().chain(&["payment-provider", "email-api"]) {
        expected.insert(edge(service, "otel-collector"));
    }
    expected.insert(edge("otel-collector", "jaeger"));
    expected.insert(edge("otel-collector", "loki"));
    expected.insert(edge("grafana", "loki"));
    // The storefront and the gateway keep no data of their own.
    for service in services.iter().filter(|s| !matches!(**s, "web" | "gateway")) {
        expected.insert(edge(service, &format!("postgres ({service})")));
    }
    expected.insert(edge("prometheus", EVERY_POD));
    // The storefront's control room: chaos-proxy's API and Prometheus.
    expected.insert(edge("web", "chaos-proxy"));
    expected.insert(edge("web", "prometheus"));
    for entry in ["web", "gateway", "grafana", "jaeger", "prometheus"] {
        expected.insert(edge(ANYWHERE, entry));
    }
    let missing: Vec<_> = expected.difference(&allowed).collect();
    let extra: Vec<_> = allowed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "edges not allowed: {missing:?}\nedges allowed beyond the architecture: {extra:?}"
    );
}

/// The load overlay: an Indexed Job of workers, each finding its index in
/// JOB_COMPLETION_INDEX, one pod per worker at once, scraped by Prometheus
/// like the shop's pods and allowed to reach the gateway; a judge Job that
/// waits for them and reads Prometheus; both as restricted as the shop.
#[test]
fn load_workers_run_as_an_indexed_job_scraped_by_prometheus_and_judged_by_a_job() {
    let (_, objects) = render("load");
    let job =
        |wanted: &str| of_kind(objects, "Job").find(|j| name(j) == wanted).unwrap_or_else(|| panic!("no Job {wanted}"));
    let run = of_kind(objects, "ConfigMap").find(|c| name(c).starts_with("loadgen-run-")).expect("the run's settings");
    let workers: u64 = run["data"]["LOAD_WORKERS"].as_str().unwrap().parse().unwrap();

    let loadgen = job("loadgen");
    assert_eq!(loadgen["spec"]["completionMode"], "Indexed");
    assert_eq!(loadgen["spec"]["completions"].as_u64(), Some(workers), "one pod per worker");
    assert_eq!(loadgen["spec"]["parallelism"].as_u64(), Some(workers), "all at once");
    assert_eq!(loadgen["spec"]["backoffLimit"].as_u64(), Some(0), "a late restart would run out of step");
    let pod = &loadgen["spec"]["template"];
    assert_eq!(pod["metadata"]["annotations"]["prometheus.io/scrape"], "true");
    let port = pod["metadata"]["annotations"]["prometheus.io/port"].as_str().unwrap();
    let container = containers(loadgen)[0];
    let env: BTreeMap<&str, &Value> =
        container["env"].as_sequence().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e)).collect();
    assert_eq!(env["LOAD_METRICS_ADDR"]["value"].as_str(), Some(format!("0.0.0.0:{port}").as_str()));
    let args: Vec<&str> = container["args"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(args.contains(&"--workers=$(LOAD_WORKERS)") && args.contains(&"--start-at=$(LOAD_START_AT)"), "{args:?}");
    assert!(!args.iter().any(|a| a.starts_with("--worker-index")), "the index is JOB_COMPLETION_INDEX: {args:?}");
    // Prometheus may scrape that port; the workers reach the gateway (egress
    // in the namespace is open, the gateway's ingress too).
    let policies: Vec<&Value> = of_kind(objects, "NetworkPolicy").collect();
    let scrapes = policies.iter().find(|p| name(p) == "prometheus-scrapes").expect("the scrape policy");
    let ports: Vec<String> = scrapes["spec"]["ingress"][0]["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap().to_string())
        .collect();
    assert!(ports.contains(&port.to_owned()), "Prometheus may scrape the workers on {port}: {ports:?}");

    let judge = job("loadgen-judge");
    let judge_args: Vec<&str> =
        containers(judge)[0]["args"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(judge_args[0], "judge");
    assert!(judge_args.contains(&"--prometheus=http://prometheus:9090"), "{judge_args:?}");
    assert!(judge_args.iter().any(|a| a.starts_with("--wait=")), "it waits for the workers: {judge_args:?}");

    for job in [loadgen, judge] {
        let what = name(job);
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], Value::Bool(true), "{what}: runAsNonRoot");
        assert_eq!(pod["automountServiceAccountToken"], Value::Bool(false), "{what}: no API token");
        let container = containers(job)[0];
        assert!(container["image"].as_str().unwrap().starts_with("testbed/shop-load:"), "{what}: {container:?}");
        assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], Value::Bool(true), "{what}: read-only root");
        assert!(!container["resources"]["limits"]["memory"].is_null(), "{what}: limits");
        let mounts = container["volumeMounts"].as_sequence().unwrap();
        assert!(mounts.iter().any(|m| m["mountPath"] == container["workingDir"]), "{what}: its reports are writable");
    }
}

/// scripts/kubernetes-load.sh sizes the Job and gives every worker one start
/// time ahead of now: what it would apply validates like the overlays.
#[test]
fn the_load_script_sizes_the_run_and_gives_every_worker_one_start_ahead() {
    let output = run("scripts/kubernetes-load.sh", &["5", "spike", "--render"], "bash and kubectl");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let objects: Vec<Value> = serde_yaml::Deserializer::from_str(&String::from_utf8(output.stdout).unwrap())
        .map(|document| serde::Deserialize::deserialize(document).unwrap())
        .collect();
    let loadgen = of_kind(&objects, "Job").find(|j| name(j) == "loadgen").expect("the workers' Job");
    assert_eq!((loadgen["spec"]["completions"].as_u64(), loadgen["spec"]["parallelism"].as_u64()), (Some(5), Some(5)));
    let runs: Vec<&Value> = of_kind(&objects, "ConfigMap").filter(|c| name(c).starts_with("loadgen-run-")).collect();
    assert_eq!(runs.len(), 1, "one set of settings, merged");
    let data = &runs[0]["data"];
    assert_eq!((data["LOAD_PROFILE"].as_str(), data["LOAD_WORKERS"].as_str()), (Some("spike"), Some("5")));
    let start: i64 = data["LOAD_START_AT"].as_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now + 30..=now + 90).contains(&start), "a start a minute ahead: {start} vs {now}");
    let used = containers(loadgen)[0]["envFrom"][0]["configMapRef"]["name"].as_str();
    assert_eq!(used, name(runs[0]).into(), "the workers read these settings");
}
