//! Telemetry overhead: the same catalog read from four catalog processes on
//! one database, each adding a layer to the one below: no exporter and logs
//! at error; JSON logs at info; OpenTelemetry spans too (the ids in the logs,
//! the exemplars) but nothing exported; spans at 100 % and log records
//! exported to a live OTLP receiver. With each side's throughput, the CPU
//! time its catalog and this process (the receiver) spent per request. Metrics
//! cannot be switched off (every service serves `/metrics`): both pay them.

use super::gateway::catalog_with_a_product;
use super::{Plan, Side, alternate_watching, compare, cpu_per_request, summarise};
use crate::otlp::CountingReceiver;
use crate::procs::CpuOf;
use crate::report::Table;

pub async fn run(plan: &Plan) -> anyhow::Result<(Table, serde_json::Value)> {
    let (receiver, otlp) = CountingReceiver::start().await?;
    let on = vec![
        ("OTEL_SDK_DISABLED", "false".to_owned()),
        ("OTEL_TRACES_EXPORTER", "otlp".to_owned()),
        ("OTEL_LOGS_EXPORTER", "otlp".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
        ("OTEL_TRACES_SAMPLER_ARG", "1.0".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
    ];
    // Spans created (ids in the logs, exemplars), nothing exported.
    let spans_unexported = vec![
        ("OTEL_SDK_DISABLED", "false".to_owned()),
        ("OTEL_TRACES_EXPORTER", "none".to_owned()),
        ("OTEL_LOGS_EXPORTER", "none".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
    ];
    let logs_only = vec![("OTEL_SDK_DISABLED", "true".to_owned()), ("LOG_LEVEL", "info".to_owned())];
    let off = vec![("OTEL_SDK_DISABLED", "true".to_owned()), ("LOG_LEVEL", "error".to_owned())];
    // Each layer of telemetry added to the one below; off last: the ratios are against it.
    let variants = [
        ("catalog (telemetry on)", on),
        ("catalog (spans, no export)", spans_unexported),
        ("catalog (JSON logs only)", logs_only),
        ("catalog (telemetry off)", off),
    ];
    let mut processes = Vec::new();
    let mut sides = Vec::new();
    for (name, env) in &variants {
        let (process, path) = catalog_with_a_product(name, env).await?;
        sides.push(Side { name: process.name.clone(), url: format!("{}{path}", process.url), headers: vec![] });
        processes.push((process, path));
    }
    let path = &processes[0].1;
    eprintln!("telemetry: GET {path}, {} connections, {} × {:?} per side", plan.connections, plan.rounds, plan.window);
    // Whose CPU a request costs: each side's catalog, and this process (the
    // OTLP receiver lives here; wrk is a process of its own).
    let bench = std::process::id();
    let watched: Vec<Vec<CpuOf>> =
        processes.iter().map(|(process, _)| vec![CpuOf::Process(process.pid()), CpuOf::Process(bench)]).collect();
    let (spans_before, records_before) = (receiver.spans(), receiver.log_records());
    let results = alternate_watching(plan, &sides, &watched)?;
    let (spans, log_records) = (receiver.spans() - spans_before, receiver.log_records() - records_before);
    let summaries: Vec<_> = results.iter().map(|(runs, _)| summarise(runs)).collect();
    let title = format!(
        "Telemetry on vs off: catalog product read, {} connections (median of {}, range)",
        plan.connections, plan.rounds
    );
    let (mut table, comparison) = compare(&title, "catalog", sides.len() - 1, &sides, &summaries);
    let (catalog_cpu, bench_cpu) = (cpu_per_request(plan, &results, 0), cpu_per_request(plan, &results, 1));
    table.add_column("catalog CPU µs/req", catalog_cpu.iter().map(|spread| spread.show(1)).collect());
    table.add_column("bench (receiver) CPU µs/req", bench_cpu.iter().map(|spread| spread.show(1)).collect());
    let json = serde_json::json!({
        "comparison": comparison,
        "cpu_us_per_request": sides.iter().zip(catalog_cpu.iter().zip(&bench_cpu)).map(|(side, (catalog, bench))| serde_json::json!({
            "name": side.name, "catalog": catalog, "bench_process": bench,
        })).collect::<Vec<_>>(),
        "spans_received_during_runs": spans,
        "log_records_received_during_runs": log_records,
    });
    Ok((table, json))
}
