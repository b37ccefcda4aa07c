//! Telemetry overhead: the same catalog read from two catalog processes on
//! one database, one with tracing at 100 % exported to a live OTLP receiver
//! and JSON logs at info, one with no exporter and logs at error. Metrics
//! cannot be switched off (every service serves `/metrics`): both pay them.

use super::gateway::catalog_with_a_product;
use super::{Plan, Side, alternate, compare, summarise};
use crate::otlp::CountingReceiver;
use crate::report::Table;

pub async fn run(plan: &Plan) -> anyhow::Result<(Table, serde_json::Value)> {
    let (receiver, otlp) = CountingReceiver::start().await?;
    let on = [
        ("OTEL_SDK_DISABLED", "false".to_owned()),
        ("OTEL_TRACES_EXPORTER", "otlp".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
        ("OTEL_TRACES_SAMPLER_ARG", "1.0".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
    ];
    // Spans created (ids in the logs, exemplars), none exported.
    let logs_only = [
        ("OTEL_SDK_DISABLED", "false".to_owned()),
        ("OTEL_TRACES_EXPORTER", "none".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
    ];
    let off = [("OTEL_SDK_DISABLED", "true".to_owned()), ("LOG_LEVEL", "error".to_owned())];
    let (traced, path) = catalog_with_a_product("catalog (telemetry on)", &on).await?;
    let (logging, logging_path) = catalog_with_a_product("catalog (logs on, no export)", &logs_only).await?;
    let (quiet, quiet_path) = catalog_with_a_product("catalog (telemetry off)", &off).await?;

    // Off last: the ratios are against it.
    let sides = vec![
        Side { name: traced.name.clone(), url: format!("{}{path}", traced.url), headers: vec![] },
        Side { name: logging.name.clone(), url: format!("{}{logging_path}", logging.url), headers: vec![] },
        Side { name: quiet.name.clone(), url: format!("{}{quiet_path}", quiet.url), headers: vec![] },
    ];
    eprintln!("telemetry: GET {path}, {} connections, {} × {:?} per side", plan.connections, plan.rounds, plan.window);
    let before = receiver.spans();
    let results = alternate(plan, &sides)?;
    let spans = receiver.spans() - before;
    let summaries: Vec<_> = results.iter().map(|runs| summarise(runs)).collect();
    let title = format!(
        "Telemetry on vs off: catalog product read, {} connections (median of {}, range)",
        plan.connections, plan.rounds
    );
    let (table, comparison) = compare(&title, "catalog", 2, &sides, &summaries);
    let json = serde_json::json!({
        "comparison": comparison,
        "spans_received_during_runs": spans,
    });
    Ok((table, json))
}
