//! `bench`: the testbed's own costs, each measured side by side with what a
//! user would pick instead, sides alternated, repeated for a median and a
//! range. Prints Markdown tables; writes `reports/bench/<suite>.json` and
//! `.md`. Run it through `scripts/bench.sh`, which installs wrk and nginx,
//! builds the release binaries and selects the local images.
//!
//! ```text
//! bench [gateway|telemetry|proxy|checkout|footprint|all]...
//!       [--rounds N] [--seconds S] [--connections C] [--customers N] [--load-seconds S]
//! ```

mod otlp;
mod procs;
mod report;
mod stack;
mod suites;
mod wrk;

use std::time::Duration;

use anyhow::{Context, bail};
use suites::Plan;

const SUITES: [&str; 5] = ["gateway", "telemetry", "proxy", "checkout", "footprint"];

struct Options {
    suites: Vec<String>,
    plan: Plan,
    customers: usize,
    load_seconds: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        suites: Vec::new(),
        plan: Plan { rounds: 5, window: Duration::from_secs(5), connections: 32 },
        customers: 16,
        load_seconds: 60,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--rounds" => options.plan.rounds = value()?.parse()?,
            "--seconds" => options.plan.window = Duration::from_secs(value()?.parse()?),
            "--connections" => options.plan.connections = value()?.parse()?,
            "--customers" => options.customers = value()?.parse()?,
            "--load-seconds" => options.load_seconds = value()?.parse()?,
            "all" => options.suites.extend(SUITES.iter().map(|s| (*s).to_owned())),
            suite if SUITES.contains(&suite) => options.suites.push(suite.to_owned()),
            other => bail!("unknown argument {other:?}; suites: {} or all", SUITES.join(", ")),
        }
    }
    if options.suites.is_empty() {
        bail!("name a suite: {} or all", SUITES.join(", "));
    }
    anyhow::ensure!(options.plan.rounds > 0, "--rounds must be at least 1");
    Ok(options)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let machine = report::machine();
    eprintln!("machine: {machine}");
    let mut tables = Vec::new();
    for suite in &options.suites {
        let plan = &options.plan;
        let (table, result) = match suite.as_str() {
            "gateway" => suites::gateway::run(plan).await,
            "telemetry" => suites::telemetry::run(plan).await,
            "proxy" => suites::proxy::run(plan).await,
            "checkout" => suites::checkout::run(plan, options.customers).await,
            "footprint" => suites::footprint::run(options.load_seconds).await,
            _ => unreachable!("checked when parsing"),
        }
        .with_context(|| format!("suite {suite}"))?;
        let saved = serde_json::json!({
            "suite": suite,
            "machine": machine,
            "rounds": plan.rounds,
            "seconds_per_run": plan.window.as_secs(),
            "result": result,
        });
        let path = report::save(suite, &saved, &table)?;
        println!("\n{}\n(JSON: {})", table.markdown(), path.display());
        tables.push(table.markdown());
    }
    std::fs::write(report::reports_dir().join("latest.md"), tables.join("\n"))?;
    Ok(())
}
