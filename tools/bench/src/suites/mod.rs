pub mod checkout;
pub mod footprint;
pub mod gateway;
pub mod idle;
pub mod loadgen;
pub mod profile;
pub mod proxy;
pub mod telemetry;

use std::time::Duration;

use crate::procs::CpuOf;
use crate::report::Spread;
use crate::wrk::{self, Load, Measured};

/// How long and how often each side is measured.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub rounds: usize,
    pub window: Duration,
    pub connections: u32,
}

/// One side of a comparison: a name, a URL and the headers to send.
pub struct Side {
    pub name: String,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Every side measured once per round, the order alternating between
/// rounds so that no side always runs first (or right after the heaviest).
pub fn alternate(plan: &Plan, sides: &[Side]) -> anyhow::Result<Vec<Vec<Measured>>> {
    let unwatched = vec![Vec::new(); sides.len()];
    Ok(alternate_watching(plan, sides, &unwatched)?.into_iter().map(|(runs, _)| runs).collect())
}

/// One side's runs and, per run, the CPU seconds each watched process spent.
pub type WatchedRuns = (Vec<Measured>, Vec<Vec<f64>>);

/// `alternate`, also counting the CPU time that each side's processes
/// (`watched[side]`) spent during that side's runs.
pub fn alternate_watching(plan: &Plan, sides: &[Side], watched: &[Vec<CpuOf>]) -> anyhow::Result<Vec<WatchedRuns>> {
    let load = Load { connections: plan.connections, duration: plan.window };
    let mut results = vec![(Vec::new(), Vec::new()); sides.len()];
    for round in 0..plan.rounds {
        let order: Vec<usize> =
            if round % 2 == 0 { (0..sides.len()).collect() } else { (0..sides.len()).rev().collect() };
        for i in order {
            let side = &sides[i];
            let headers: Vec<(&str, &str)> = side.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let before: Vec<f64> = watched[i].iter().map(|of| of.seconds()).collect();
            let measured = wrk::run(&load, &side.url, &headers)?;
            let cpu = watched[i].iter().zip(before).map(|(of, before)| of.seconds() - before);
            eprintln!(
                "  round {}/{} {:<28} {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms{}",
                round + 1,
                plan.rounds,
                side.name,
                measured.requests_per_second,
                measured.p50_ms,
                measured.p99_ms,
                if measured.errors > 0 { format!("  ({} errors)", measured.errors) } else { String::new() }
            );
            results[i].1.push(cpu.collect());
            results[i].0.push(measured);
        }
    }
    Ok(results)
}

/// Per side, the CPU microseconds per request of its watched process
/// `which` (CPU seconds in a run / requests served in it), median and range.
pub fn cpu_per_request(plan: &Plan, results: &[WatchedRuns], which: usize) -> Vec<Spread> {
    let requests = |run: &Measured| (run.requests_per_second * plan.window.as_secs_f64()).max(1.0);
    results
        .iter()
        .map(|(runs, cpu)| Spread::of(runs.iter().zip(cpu).map(|(run, seconds)| seconds[which] * 1e6 / requests(run))))
        .collect()
}

/// Median and range of a side's throughput, p50 and p99.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Summary {
    pub requests_per_second: Spread,
    pub p50_ms: Spread,
    pub p99_ms: Spread,
    pub errors: u64,
}

pub fn summarise(runs: &[Measured]) -> Summary {
    Summary {
        requests_per_second: Spread::of(runs.iter().map(|r| r.requests_per_second)),
        p50_ms: Spread::of(runs.iter().map(|r| r.p50_ms)),
        p99_ms: Spread::of(runs.iter().map(|r| r.p99_ms)),
        errors: runs.iter().map(|r| r.errors).sum(),
    }
}

/// A throughput comparison: one row per side (req/s, p50, p99, median and
/// range) with its ratio to `sides[baseline]`, and the same as JSON.
pub fn compare(
    title: &str,
    first_column: &str,
    baseline: usize,
    sides: &[Side],
    summaries: &[Summary],
) -> (crate::report::Table, serde_json::Value) {
    let base = summaries[baseline].requests_per_second.median;
    let ratio_header = format!("× {}", sides[baseline].name);
    let mut table = crate::report::Table::new(title, &[first_column, "req/s", "p50 ms", "p99 ms", &ratio_header]);
    let mut json = Vec::new();
    for (side, summary) in sides.iter().zip(summaries) {
        let ratio = summary.requests_per_second.median / base;
        table.row(vec![
            side.name.clone(),
            summary.requests_per_second.show(0),
            summary.p50_ms.show(3),
            summary.p99_ms.show(3),
            format!("{ratio:.2}"),
        ]);
        json.push(serde_json::json!({ "name": side.name, "summary": summary, "ratio_to_baseline": ratio }));
    }
    (table, serde_json::json!({ "baseline": sides[baseline].name, "sides": json }))
}
