//! The OpenTelemetry Collector's and Loki's configuration files, checked by
//! their own structure (neither program can run here): every component a
//! pipeline names is defined and is one the pinned collector image ships;
//! traces go to Jaeger and log records to Loki at the addresses those
//! listen on; the services' one endpoint is the collector's OTLP port, in
//! compose and on Kubernetes; Loki accepts OTLP records (structured
//! metadata on a v13 tsdb schema) where Grafana's datasource looks.

use std::collections::BTreeSet;

use e2e::repository;
use serde::Deserialize;
use serde_yaml::Value;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repository().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compose() -> Value {
    let mut compose = yaml("docker-compose.observability.yml");
    compose.apply_merge().expect("merge keys resolve");
    compose
}

/// `host:port` of a URL or an address, without scheme or path.
fn authority(url: &str) -> (String, u16) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap();
    let (host, port) = authority.rsplit_once(':').unwrap_or_else(|| panic!("no port in {url}"));
    (host.to_owned(), port.parse().unwrap())
}

/// The component types of otel/opentelemetry-collector-contrib that the
/// configuration may use (a type the image lacks stops it at start-up).
const KNOWN: [(&str, &[&str]); 4] = [
    ("receivers", &["otlp"]),
    ("processors", &["batch", "memory_limiter"]),
    ("exporters", &["otlp", "otlphttp", "debug"]),
    ("extensions", &["health_check"]),
];

#[test]
fn every_pipeline_names_defined_components_the_collector_image_has() {
    let config = yaml("deploy/otel-collector/config.yaml");
    for (section, types) in KNOWN {
        for (id, _) in config[section].as_mapping().unwrap_or_else(|| panic!("no {section}")) {
            let id = id.as_str().unwrap();
            let kind = id.split('/').next().unwrap();
            assert!(types.contains(&kind), "{section}: {id} is not a component of the pinned image");
        }
    }
    let pipelines = config["service"]["pipelines"].as_mapping().expect("pipelines");
    let names: BTreeSet<&str> = pipelines.keys().filter_map(Value::as_str).collect();
    // Metrics are scraped by Prometheus from every service, not sent here.
    assert_eq!(names, BTreeSet::from(["logs", "traces"]));
    for (name, pipeline) in pipelines {
        for (role, section) in [("receivers", "receivers"), ("processors", "processors"), ("exporters", "exporters")] {
            let ids = pipeline[role].as_sequence().unwrap_or_else(|| panic!("{name:?}: no {role}"));
            assert!(!ids.is_empty() || role == "processors", "{name:?}: no {role}");
            for id in ids {
                assert!(config[section].get(id).is_some(), "{name:?}: {id:?} is not defined under {section}");
            }
        }
        // The memory limiter first, so that data is refused before it is batched.
        assert_eq!(pipeline["processors"][0].as_str(), Some("memory_limiter"), "{name:?}");
    }
    for id in config["service"]["extensions"].as_sequence().unwrap() {
        assert!(config["extensions"].get(id).is_some(), "extension {id:?} is not defined");
    }
}

#[test]
fn traces_go_to_jaeger_and_logs_to_loki_where_they_listen() {
    let config = yaml("deploy/otel-collector/config.yaml");
    let compose = compose();
    let exporter_of = |pipeline: &str| {
        let ids = config["service"]["pipelines"][pipeline]["exporters"].as_sequence().unwrap();
        assert_eq!(ids.len(), 1, "{pipeline}: one destination");
        config["exporters"][ids[0].as_str().unwrap()].clone()
    };
    let traces = exporter_of("traces");
    assert_eq!(authority(traces["endpoint"].as_str().unwrap()), ("jaeger".into(), 4317));
    assert_eq!(traces["tls"]["insecure"], true, "Jaeger's OTLP port is plain gRPC inside the network");
    assert_eq!(compose["services"]["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"], "true");

    let logs = exporter_of("logs");
    let endpoint = logs["endpoint"].as_str().unwrap();
    let loki = yaml("deploy/loki/config.yaml");
    let loki_port = loki["server"]["http_listen_port"].as_u64().unwrap() as u16;
    assert_eq!(authority(endpoint), ("loki".into(), loki_port));
    assert!(endpoint.ends_with("/otlp"), "Loki's native OTLP endpoint: {endpoint}");

    // Both backends and the collector are compose services of the ui profile,
    // as Kubernetes Services with the same ports.
    for service in ["otel-collector", "jaeger", "loki"] {
        assert_eq!(compose["services"][service]["profiles"][0], "ui", "{service}");
    }
    for (file, port) in [("jaeger", 4317), ("loki", loki_port), ("otel-collector", 4317)] {
        let manifest =
            std::fs::read_to_string(repository().join(format!("deploy/kubernetes/base/observability/{file}.yaml")))
                .unwrap();
        let service = serde_yaml::Deserializer::from_str(&manifest)
            .map(|doc| Value::deserialize(doc).unwrap())
            .find(|doc| doc["kind"] == "Service")
            .unwrap_or_else(|| panic!("{file}: no Service"));
        let ports: Vec<u64> =
            service["spec"]["ports"].as_sequence().unwrap().iter().filter_map(|p| p["port"].as_u64()).collect();
        assert!(ports.contains(&u64::from(port)), "{file}'s Service does not expose {port}: {ports:?}");
    }
}

#[test]
fn the_services_one_endpoint_is_the_collectors_otlp_port() {
    let config = yaml("deploy/otel-collector/config.yaml");
    let (_, grpc) = authority(config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].as_str().unwrap());
    let compose = compose();
    let in_compose = compose["services"]["orders"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"].as_str().unwrap();
    assert_eq!(authority(in_compose), ("otel-collector".into(), grpc));
    assert_eq!(compose["services"]["orders"]["environment"]["OTEL_LOGS_EXPORTER"], "${OTEL_LOGS_EXPORTER:-otlp}");
    let kustomization =
        std::fs::read_to_string(repository().join("deploy/kubernetes/base/kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains(&format!("OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:{grpc}")),
        "the Kubernetes services export to the collector"
    );
    assert!(kustomization.contains("OTEL_LOGS_EXPORTER=otlp"));
}

#[test]
fn loki_accepts_otlp_records_where_grafana_looks() {
    let loki = yaml("deploy/loki/config.yaml");
    assert_eq!(loki["auth_enabled"], false, "one tenant: the collector sends no tenant header");
    // OTLP attributes (trace_id, span_id) are kept as structured metadata,
    // which needs it allowed and a v13 schema on tsdb.
    assert_eq!(loki["limits_config"]["allow_structured_metadata"], true);
    let schema = loki["schema_config"]["configs"].as_sequence().unwrap().last().unwrap().clone();
    assert_eq!((schema["schema"].as_str(), schema["store"].as_str()), (Some("v13"), Some("tsdb")));
    let port = loki["server"]["http_listen_port"].as_u64().unwrap() as u16;
    let datasources = yaml("dashboards/grafana/provisioning/datasources/datasources.yml");
    let datasource =
        datasources["datasources"].as_sequence().unwrap().iter().find(|d| d["type"] == "loki").unwrap().clone();
    assert_eq!(authority(datasource["url"].as_str().unwrap()), ("loki".into(), port));
    assert_eq!(compose()["services"]["loki"]["command"][0], "-config.file=/etc/loki/config.yaml");
}
