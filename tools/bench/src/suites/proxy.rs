//! Fault proxy overhead. Saturation with wrk (the cheapest load generator):
//! direct to a small HTTP upstream, through chaos-proxy with no toxics, and
//! through chaos-proxy on one tokio worker (on 2 cores, the proxy competes
//! with wrk and the upstream for the CPU). Then `chaos-bench` for latency
//! added at a moderate rate, bulk transfer and a 0 ms latency toxic.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Plan, Side, alternate, summarise};
use crate::procs::{Process, free_port, release_binary};
use crate::report::{Table, reports_dir};

/// `GET /hello`: 13 bytes of JSON, served in this process.
async fn upstream() -> anyhow::Result<String> {
    let app = axum::Router::new().route("/hello", axum::routing::get(|| async { axum::Json(json!({ "ok": true })) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// A chaos-proxy process (`workers` tokio threads, all cores when `None`)
/// with one proxy to `upstream`; returns it and the proxied base URL.
async fn proxy(name: &str, upstream: &str, workers: Option<usize>) -> anyhow::Result<(Process, String)> {
    let port = free_port();
    let mut env = HashMap::from([("PORT".to_owned(), port.to_string()), ("LOG_LEVEL".to_owned(), "warn".to_owned())]);
    if let Some(workers) = workers {
        env.insert("TOKIO_WORKER_THREADS".into(), workers.to_string());
    }
    let mut process = Process::spawn(
        name,
        release_binary("chaos-proxy"),
        &["--host", "127.0.0.1", "--port", &port.to_string()],
        &env,
    )?;
    process.wait_ready("/version", Duration::from_secs(10)).await?;
    let body = json!({ "name": "bench", "listen": "127.0.0.1:0", "upstream": upstream.trim_start_matches("http://") });
    let created: Value = reqwest::Client::new()
        .post(format!("{}/proxies", process.url))
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let listen = created["listen"].as_str().ok_or_else(|| anyhow::anyhow!("no listen address"))?.to_owned();
    Ok((process, format!("http://{listen}")))
}

pub async fn run(plan: &Plan) -> anyhow::Result<(Table, Value)> {
    let upstream = upstream().await?;
    let (_default, proxied) = proxy("chaos-proxy", &upstream, None).await?;
    let (_single, proxied_single) = proxy("chaos-proxy (1 worker)", &upstream, Some(1)).await?;
    let sides = vec![
        Side { name: "direct".into(), url: format!("{upstream}/hello"), headers: vec![] },
        Side { name: "chaos-proxy, no toxics".into(), url: format!("{proxied}/hello"), headers: vec![] },
        Side {
            name: "chaos-proxy, 1 worker, no toxics".into(),
            url: format!("{proxied_single}/hello"),
            headers: vec![],
        },
    ];
    eprintln!("proxy: saturation, {} connections, {} × {:?} per side", plan.connections, plan.rounds, plan.window);
    let results = alternate(plan, &sides)?;
    let summaries: Vec<_> = results.iter().map(|runs| summarise(runs)).collect();
    let direct = summaries[0].requests_per_second.median;

    eprintln!("proxy: chaos-bench (moderate rate, bulk, 0 ms toxic)");
    let json_path = reports_dir().join("chaos-bench.json");
    std::fs::create_dir_all(reports_dir())?;
    let status = std::process::Command::new(release_binary("chaos-bench"))
        .args(["--rounds", &plan.rounds.to_string(), "--seconds", "3", "--json"])
        .arg(&json_path)
        .stdout(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "chaos-bench failed");
    let detail: Value = serde_json::from_str(&std::fs::read_to_string(&json_path)?)?;

    let mut table = Table::new(
        &format!("Fault proxy overhead ({} rounds, median and range)", plan.rounds),
        &["measure", "value", "× direct"],
    );
    for (side, summary) in sides.iter().zip(&summaries) {
        table.row(vec![
            format!("{}: small requests at saturation ({} conns), req/s", side.name, plan.connections),
            summary.requests_per_second.show(0),
            format!("{:.2}", summary.requests_per_second.median / direct),
        ]);
    }
    for row in detail["rows"].as_array().into_iter().flatten() {
        if row["name"].as_str().is_some_and(|n| n.contains("500 req/s") || n.contains("bulk")) {
            table.row(vec![
                format!(
                    "{} ({}), direct → proxied",
                    row["name"].as_str().unwrap_or_default().trim(),
                    row["unit"].as_str().unwrap_or_default()
                ),
                format!("{} → {}", show(&row["direct"]), show(&row["proxied"])),
                row["ratio"].as_f64().map_or_else(String::new, |r| format!("{r:.2}")),
            ]);
        }
    }
    table.row(vec![
        "added p50 latency at 500 req/s, no toxics".into(),
        format!("{:.1} µs", detail["added_p50_us_no_toxics"].as_f64().unwrap_or(f64::NAN)),
        String::new(),
    ]);
    table.row(vec![
        "added p50 latency by a 0 ms latency toxic".into(),
        format!("{:.1} µs", detail["added_p50_us_zero_latency_toxic"].as_f64().unwrap_or(f64::NAN)),
        String::new(),
    ]);
    let json = json!({
        "saturation": sides.iter().zip(&summaries).map(|(side, s)| json!({
            "name": side.name, "summary": s, "ratio_to_direct": s.requests_per_second.median / direct,
        })).collect::<Vec<_>>(),
        "chaos_bench": detail,
    });
    Ok((table, json))
}

/// A spread as chaos-bench writes it (`{"median", "min", "max"}`) or a number.
fn show(value: &Value) -> String {
    match value.get("median").and_then(Value::as_f64).or_else(|| value.as_f64()) {
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.3}"),
        None => value.to_string(),
    }
}
