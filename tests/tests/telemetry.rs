//! One checkout, seen through its telemetry: a single connected trace from
//! the gateway through orders, inventory, payments and the broker to the
//! notifications consumer; log lines carrying that trace's id, on stdout and
//! as OTLP log records; latency histograms whose exemplars point at
//! exported traces.
//!
//! All services run in this process and share one tracer, so their spans
//! carry the same `service.name`; the `shop.service` attribute on server
//! spans tells them apart (in compose, each process has its own name).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use e2e::{Options, Shop};
use platform::config::TelemetrySettings;
use platform::telemetry::init_telemetry_with_writer;
use platform::test_util::{CapturedLogs, OtlpReceiver, ReceivedLog, ReceivedSpan, eventually};
use serde_json::Value;

const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const PRODUCER: i32 = 4;
const CONSUMER: i32 = 5;

fn server_span<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> Option<&'a ReceivedSpan> {
    spans.iter().find(|s| {
        s.kind == SERVER && s.attributes.get("shop.service").map(String::as_str) == Some(service) && s.name == name
    })
}

#[tokio::test]
async fn a_checkout_is_one_connected_trace_with_correlated_logs_and_exemplars() {
    let receiver = OtlpReceiver::start().await;
    let logs = CapturedLogs::default();
    let settings = TelemetrySettings::exporting_to(receiver.endpoint(), "info,sqlx=warn");
    let telemetry = init_telemetry_with_writer("shop", &settings, logs.clone());

    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 1250, 5).await;
    let ada = shop.register("ada@example.org").await;
    let order: Value = shop.order(&ada, &[(mug, 1)], "tok_visa").await.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");
    shop.notifications(&ada, 1).await;

    // Wait until the whole trace has arrived: its last span is the consumer's.
    let mut trace: Vec<ReceivedSpan> = Vec::new();
    eventually("the checkout's trace reached the collector", Duration::from_secs(30), || {
        telemetry.flush();
        let spans = receiver.spans();
        let consumer = spans.iter().find(|s| {
            s.kind == CONSUMER
                && s.attributes.get("messaging.destination.name").map(String::as_str)
                    == Some("notifications.order-events")
        });
        let found = consumer.map(|c| spans.iter().filter(|s| s.trace_id == c.trace_id).cloned().collect::<Vec<_>>());
        let complete = found.as_ref().is_some_and(|t| {
            ["gateway", "orders"].iter().all(|svc| server_span(t, svc, "POST /api/v1/orders").is_some())
                && server_span(t, "inventory", "PUT /internal/v1/reservations/{order_id}").is_some()
                && server_span(t, "payments", "POST /api/v1/payments").is_some()
        });
        if let (true, Some(t)) = (complete, found) {
            trace = t;
        }
        async move { complete }
    })
    .await;

    // One root: the gateway's server span (the test client sent no traceparent).
    let ids: HashSet<&str> = trace.iter().map(|s| s.span_id.as_str()).collect();
    let roots: Vec<&ReceivedSpan> = trace.iter().filter(|s| s.parent_span_id.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {roots:#?}");
    assert_eq!(roots[0].attributes.get("shop.service").map(String::as_str), Some("gateway"));
    // No orphans: every parent is in the trace.
    for span in &trace {
        assert!(span.parent_span_id.is_empty() || ids.contains(span.parent_span_id.as_str()), "orphan: {span:#?}");
    }
    let by_id: HashMap<&str, &ReceivedSpan> = trace.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let parent_of = |span: &ReceivedSpan| by_id[span.parent_span_id.as_str()];

    // Each service's server span hangs under the caller's client span for it.
    for (service, name) in [
        ("orders", "POST /api/v1/orders"),
        ("inventory", "PUT /internal/v1/reservations/{order_id}"),
        ("payments", "POST /api/v1/payments"),
    ] {
        let server = server_span(&trace, service, name).unwrap();
        let caller = parent_of(server);
        assert_eq!(caller.kind, CLIENT, "{service}'s parent is a client span");
        assert_eq!(caller.attributes.get("peer.service").map(String::as_str), Some(service));
    }
    // The consumer continues the producer's span, across the broker.
    let consumer = trace.iter().find(|s| s.kind == CONSUMER && s.name == "process order.confirmed").unwrap();
    assert_eq!(parent_of(consumer).kind, PRODUCER);
    assert_eq!(parent_of(consumer).attributes.get("messaging.system").map(String::as_str), Some("rabbitmq"));
    // Saga steps and database queries are in it too.
    assert!(trace.iter().any(|s| s.name == "saga charge"));
    assert!(trace.iter().any(|s| s.attributes.get("db.system").map(String::as_str) == Some("postgresql")));
    // Spans carry their own fields, not what every span would pay for
    // (thread, source location, busy/idle times), and a request's info
    // lines ("request served") are log records, not span events too.
    for span in &trace {
        for extra in ["thread.id", "thread.name", "code.file.path", "code.line.number", "busy_ns", "idle_ns"] {
            assert!(!span.attributes.contains_key(extra), "{extra} on {span:#?}");
        }
        assert!(!span.events.iter().any(|e| e == "request served"), "an info line as a span event: {span:#?}");
    }
    let trace_id = trace[0].trace_id.clone();
    eprintln!("checkout trace: {} spans, {} services", trace.len(), {
        let services: HashSet<_> = trace.iter().filter_map(|s| s.attributes.get("shop.service")).collect();
        services.len()
    });

    // Logs: every line written inside a server span carries a trace id, and
    // the lines of the checkout request carry this trace's.
    let lines = logs.lines();
    let in_requests: Vec<&Value> = lines.iter().filter(|l| l["span_fields"]["http.route"].is_string()).collect();
    assert!(!in_requests.is_empty());
    for line in &in_requests {
        assert!(line["trace_id"].is_string(), "a log line without trace id: {line}");
        assert!(line["span_fields"].get("otel.name").is_none(), "the tracer's fields in a log line: {line}");
    }
    let checkout_lines: Vec<&&Value> =
        in_requests.iter().filter(|l| l["message"] == "order placed" || l["message"] == "saga step done").collect();
    assert!(checkout_lines.len() >= 3, "{checkout_lines:?}");
    assert!(checkout_lines.iter().all(|l| l["trace_id"] == trace_id.as_str()), "{checkout_lines:?}");

    // The same lines as OTLP log records, with the trace and span ids and
    // the spans' resource: one written in an HTTP request (orders placing
    // the order) and one written consuming a message from the broker.
    let mut records: Vec<ReceivedLog> = Vec::new();
    eventually("the checkout's log records reached the collector", Duration::from_secs(30), || {
        telemetry.flush();
        records = receiver.logs().into_iter().filter(|r| r.trace_id == trace_id).collect();
        let arrived = ["order placed", "notification handled"].iter().all(|m| records.iter().any(|r| r.body == *m));
        async move { arrived }
    })
    .await;
    let span_ids: HashSet<&str> = trace.iter().map(|s| s.span_id.as_str()).collect();
    for record in &records {
        assert!(span_ids.contains(record.span_id.as_str()), "a record's span is in the trace: {record:#?}");
        assert_eq!((record.service.as_str(), record.environment.as_str()), ("shop", "test"), "{record:#?}");
    }
    let placed = records.iter().find(|r| r.body == "order placed").unwrap();
    assert_eq!(placed.severity, "INFO");
    assert_eq!(placed.attributes.get("http.route").map(String::as_str), Some("/api/v1/orders"), "{placed:#?}");
    let handled = records.iter().find(|r| r.body == "notification handled").unwrap();
    let consumer_span = trace.iter().find(|s| s.span_id == handled.span_id).unwrap();
    assert_eq!(consumer_span.kind, CONSUMER, "written while consuming: {handled:#?}");

    // Exemplars: the gateway's latency histogram points at exported traces.
    let exported: HashSet<String> = receiver.spans().into_iter().map(|s| s.trace_id).collect();
    let metrics = reqwest::get(shop.gateway.url("/metrics")).await.unwrap().text().await.unwrap();
    let exemplars: Vec<String> = metrics
        .lines()
        .filter(|l| {
            l.starts_with("http_server_request_duration_seconds_bucket") && l.contains(r#"http_route="/api/v1/orders""#)
        })
        .filter_map(|l| l.split(r#"# {trace_id=""#).nth(1)?.split('"').next().map(str::to_owned))
        .collect();
    assert!(!exemplars.is_empty(), "no exemplar on the checkout route:\n{metrics}");
    for exemplar in &exemplars {
        assert!(exported.contains(exemplar), "exemplar {exemplar} is not an exported trace");
    }
}
