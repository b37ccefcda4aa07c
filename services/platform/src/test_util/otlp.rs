//! An OTLP receiver in the test, where a collector (and Jaeger and Loki
//! behind it) would be: it takes spans and log records.

use opentelemetry_proto::tonic::common::v1::AnyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;

/// One span as an OTLP collector received it.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub name: String,
    /// OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    pub kind: i32,
    pub service: String,
    pub attributes: std::collections::HashMap<String, String>,
    /// The names of the span's events, in order.
    pub events: Vec<String>,
}

/// One log record as an OTLP collector received it.
#[derive(Debug, Clone)]
pub struct ReceivedLog {
    /// Empty for a record written outside any traced span.
    pub trace_id: String,
    pub span_id: String,
    pub body: String,
    pub severity: String,
    /// The resource's `service.name` and `deployment.environment`, as on spans.
    pub service: String,
    pub environment: String,
    pub attributes: std::collections::HashMap<String, String>,
}

/// An OTLP/gRPC receiver of traces and logs inside the test: services
/// export to `endpoint()`, the test reads what arrived. Stands in for the
/// collector, which cannot run on machines without a registry.
#[derive(Clone)]
pub struct OtlpReceiver {
    endpoint: String,
    spans: std::sync::Arc<std::sync::Mutex<Vec<ReceivedSpan>>>,
    logs: std::sync::Arc<std::sync::Mutex<Vec<ReceivedLog>>>,
}

impl OtlpReceiver {
    pub async fn start() -> Self {
        use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsServiceServer;
        use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the OTLP receiver");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let receiver = Self { endpoint, spans: Default::default(), logs: Default::default() };
        let traces = TraceServiceServer::new(receiver.clone());
        let logs = LogsServiceServer::new(receiver.clone());
        tokio::spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(traces)
                .add_service(logs)
                .serve_with_incoming(incoming)
                .await;
        });
        receiver
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans.lock().expect("poisoned").clone()
    }

    pub fn logs(&self) -> Vec<ReceivedLog> {
        self.logs.lock().expect("poisoned").clone()
    }
}

/// An attribute value as text, whatever its type.
fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn resource_attribute(resource: &Option<Resource>, key: &str) -> String {
    resource
        .as_ref()
        .and_then(|r| r.attributes.iter().find(|a| a.key == key))
        .map(|a| text(&a.value))
        .unwrap_or_default()
}

#[tonic::async_trait]
impl opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService for OtlpReceiver {
    async fn export(
        &self,
        request: tonic::Request<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest>,
    ) -> Result<
        tonic::Response<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse>,
        tonic::Status,
    > {
        let mut received = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_attribute(&resource_spans.resource, "service.name");
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    received.push(ReceivedSpan {
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        name: span.name.clone(),
                        kind: span.kind,
                        service: service.clone(),
                        attributes: span.attributes.iter().map(|a| (a.key.clone(), text(&a.value))).collect(),
                        events: span.events.iter().map(|e| e.name.clone()).collect(),
                    });
                }
            }
        }
        self.spans.lock().expect("poisoned").extend(received);
        Ok(tonic::Response::new(Default::default()))
    }
}

#[tonic::async_trait]
impl opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsService for OtlpReceiver {
    async fn export(
        &self,
        request: tonic::Request<opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest>,
    ) -> Result<
        tonic::Response<opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse>,
        tonic::Status,
    > {
        let mut received = Vec::new();
        for resource_logs in request.into_inner().resource_logs {
            let service = resource_attribute(&resource_logs.resource, "service.name");
            let environment = resource_attribute(&resource_logs.resource, "deployment.environment");
            for scope in resource_logs.scope_logs {
                for record in scope.log_records {
                    received.push(ReceivedLog {
                        trace_id: hex(&record.trace_id),
                        span_id: hex(&record.span_id),
                        body: text(&record.body),
                        severity: record.severity_text.clone(),
                        service: service.clone(),
                        environment: environment.clone(),
                        attributes: record.attributes.iter().map(|a| (a.key.clone(), text(&a.value))).collect(),
                    });
                }
            }
        }
        self.logs.lock().expect("poisoned").extend(received);
        Ok(tonic::Response::new(Default::default()))
    }
}
