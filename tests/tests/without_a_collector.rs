//! Where no collector runs (no registry, so no Jaeger: scripts/up.sh sets
//! `OTEL_TRACES_EXPORTER=none`), spans are still created and sampled, so the
//! correlation the testbed teaches is still there: every log line of a
//! request carries the request's trace id, and the latency histograms carry
//! exemplars naming those traces. Only the export is off. A test binary of
//! its own: the subscriber is installed once per process.

use catalog::configuration::Settings;
use platform::config::{Env, TelemetrySettings};
use platform::telemetry::init_telemetry_with_writer;
use platform::test_util::{CapturedLogs, fresh_database, serve};

#[tokio::test]
async fn without_export_log_lines_carry_trace_ids_and_metrics_carry_exemplars() {
    let mut env = Env::from_pairs([("OTEL_TRACES_EXPORTER", "none"), ("LOG_LEVEL", "info,sqlx=warn")]);
    let settings = TelemetrySettings::from_env(&mut env);
    env.finish().expect("valid settings");
    assert!(settings.traces.as_ref().is_some_and(|traces| traces.endpoint.is_none()), "spans on, export off");
    let logs = CapturedLogs::default();
    let _telemetry = init_telemetry_with_writer("catalog", &settings, logs.clone());

    let catalog = serve(catalog::startup::build(Settings::for_tests(fresh_database("catalog").await)).await).client();
    for _ in 0..3 {
        assert_eq!(catalog.get("/api/v1/products").await.status(), 200);
    }

    let served: Vec<_> = logs
        .lines()
        .into_iter()
        .filter(|line| line["message"] == "request served" && line["span_fields"]["http.route"] == "/api/v1/products")
        .collect();
    assert_eq!(served.len(), 3, "one line per request: {:?}", logs.text());
    let trace_ids: Vec<&str> = served.iter().filter_map(|line| line["trace_id"].as_str()).collect();
    assert_eq!(trace_ids.len(), 3, "every request's line carries its trace id: {served:?}");
    assert!(trace_ids[0] != trace_ids[1] && trace_ids[1] != trace_ids[2], "one trace per request: {trace_ids:?}");

    let metrics = catalog.get("/metrics").await.text().await.unwrap();
    let exemplars: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("http_server_request_duration_seconds_bucket") && l.contains("/api/v1/products"))
        .filter_map(|l| l.split(r#"# {trace_id=""#).nth(1)?.split('"').next())
        .collect();
    assert!(!exemplars.is_empty(), "no exemplar on the route:\n{metrics}");
    for exemplar in exemplars {
        assert!(trace_ids.contains(&exemplar), "exemplar {exemplar} is one of the requests' traces {trace_ids:?}");
    }
}
