//! `shop-load`: runs a named load profile against the shop's gateway.
//!
//! ```text
//! shop-load --profile smoke [--host http://127.0.0.1:8080] [any goose flag: -u -r -t --test-plan --threshold ...]
//! shop-load --setup-only      only make the data (categories, products, stock)
//! shop-load --no-thresholds   traffic only: no threshold stops or fails the run
//!                             (the chaos runner's load, where breaking them is the point)
//! shop-load --list-profiles
//! shop-load --workers 3 --worker-index 0 --start-at 2026-12-02T10:00:00Z --metrics-addr 0.0.0.0:9646
//!                             one worker of three: its share of the users, from a common start,
//!                             live metrics on /metrics for Prometheus to add up
//! shop-load judge --prometheus http://127.0.0.1:9090 --profile smoke [--from T --to T]
//!                             the workers' run judged as one, from Prometheus
//! ```
//! The admin account comes from LOAD_ADMIN_EMAIL / LOAD_ADMIN_PASSWORD
//! (default: the compose stack's development admin). Reports (goose's HTML
//! and JSON, and `summary.json`) go to `reports/<profile>-<time>/`.
//! Exit status: 0 when every threshold held, 1 when one broke, 2 on errors.

/// mimalloc, as every service: glibc's malloc was a sixth of a worker's CPU
/// at full drive (docs/benchmarks.md, load generator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use goose::GooseError;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use loadtests::judge::query::{Prometheus, Window};
use loadtests::judge::rules::Rule;
use loadtests::live::{self, Run, Worker};
use loadtests::open_loop::{self, schedule::ArrivalPlan, verdict};
use loadtests::plan::{Phases, parse_time, rank_among_peers, worker_plan};
use loadtests::profiles::{PROFILES, Profile, profile};
use loadtests::report::{Row, table};
use loadtests::scenarios;
use loadtests::setup::{Admin, await_seed, seed};
use serde_json::json;

/// The gateway the load goes to, unless `--host` names another.
const DEFAULT_HOST: &str = "http://127.0.0.1:8080";

/// Runs a named load profile against the shop's gateway. Goose's own options
/// (below the profile's) override the profile's plan and thresholds.
#[derive(Parser, Debug)]
#[command(
    name = "shop-load",
    version,
    next_help_heading = "Profile",
    // Goose's `-V, --version` is kept, and prints this binary's version.
    disable_version_flag = true,
    mut_arg("version", |arg| arg.help("Print version").long_help(None)),
    mut_arg("host", |arg| arg.help(format!("The shop's gateway [default: {DEFAULT_HOST}]")).long_help(None)),
    // As Goose reads its own options: a repeated one keeps its last value,
    // a negative number is a value (which the option then refuses).
    args_override_self = true,
    allow_negative_numbers = true,
    after_help = "The admin account comes from LOAD_ADMIN_EMAIL / LOAD_ADMIN_PASSWORD (default: the compose \
                  stack's development admin). Reports go to reports/<profile>-<time>/. Exit status: 0 when every \
                  threshold held, 1 when one broke, 2 on errors."
)]
struct Cli {
    /// The load profile (see --list-profiles) [env: LOAD_PROFILE] [default: smoke]
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Only make the data (categories, products, stock), then exit
    #[arg(long)]
    setup_only: bool,
    /// Traffic only: no threshold stops or fails the run (the chaos runner's load, where breaking them is the point)
    #[arg(long)]
    no_thresholds: bool,
    /// List the profiles, then exit
    #[arg(long)]
    list_profiles: bool,
    /// Run as one of N workers that together make one run: each runs its share of every step's users
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
    /// Which worker this is: 0 to N-1, or dns:NAME (its address's rank among the N that NAME resolves to, as with `--scale`) [env: JOB_COMPLETION_INDEX] [default: 0]
    #[arg(long, value_name = "I")]
    worker_index: Option<String>,
    /// Hold the start until this time (RFC 3339, unix seconds, or now), the same for every worker, so their phases line up
    #[arg(long, value_name = "TIME")]
    start_at: Option<String>,
    /// The storefront (the web service): with it, visitors also browse its pages (the "storefront visitor" scenario) [env: LOAD_WEB_URL]
    #[arg(long, value_name = "URL")]
    web: Option<String>,
    /// Serve live metrics for Prometheus on this address (/metrics) [env: LOAD_METRICS_ADDR]
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// With live metrics, how long to wait after the run for Prometheus to scrape its last figures
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    linger: u64,
    /// Open-loop: the profile's arrival plan (spike, stress), requests started at a fixed rate however slowly the shop answers
    #[arg(long)]
    open_loop: bool,
    /// Open-loop with this arrival plan: rate,duration;… in requests per second (e.g. 40,10s;40,1m;0,5s)
    #[arg(long, value_name = "PLAN")]
    arrival_rate: Option<String>,
    /// Open-loop: the most requests waiting at once; arrivals beyond it are dropped and counted
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    max_in_flight: usize,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    goose: GooseConfiguration,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Judge a run of many workers as one, from the sum of their live metrics in Prometheus
    Judge(JudgeArgs),
}

#[derive(Args, Debug)]
struct JudgeArgs {
    /// The Prometheus that scraped the workers
    #[arg(long, value_name = "URL")]
    prometheus: String,
    /// The run's profile: its thresholds, unless --threshold is given
    #[arg(long, value_name = "NAME", default_value = "smoke")]
    profile: String,
    /// The window's start (RFC 3339 or unix seconds) [default: an hour before --to]
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// The window's end (RFC 3339 or unix seconds) [default: now]
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Which run, when several of the profile reported in the window (its start time, the `run` label)
    #[arg(long, value_name = "ID")]
    run: Option<String>,
    /// A threshold in place of the profile's (repeat for several)
    #[arg(long, value_name = "RULE")]
    threshold: Vec<String>,
    /// Wait up to this many seconds for every worker to report and end (the window ends when they have)
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    wait: u64,
}

fn main() -> ExitCode {
    // goose keeps --test-plan to itself; a worker needs it to take its share.
    let (args, test_plan) = take_test_plan(std::env::args_os().collect());
    let cli = Cli::parse_from(args);
    if cli.goose.version {
        print!("{}", Cli::command().render_version());
        return ExitCode::SUCCESS;
    }
    if cli.list_profiles {
        for p in &PROFILES {
            println!(
                "{:8} {}\n         plan {}; thresholds {}",
                p.name,
                p.purpose,
                p.test_plan,
                p.thresholds.join(", ")
            );
        }
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    if let Some(Command::Judge(args)) = cli.command {
        return runtime.block_on(async move {
            judge(args).await.unwrap_or_else(|error| {
                eprintln!("shop-load judge: {error:#}");
                ExitCode::from(2)
            })
        });
    }
    let name = cli.profile.clone().or_else(|| std::env::var("LOAD_PROFILE").ok()).unwrap_or_else(|| "smoke".into());
    let Some(profile) = profile(&name) else {
        eprintln!("shop-load: no profile {name:?}; try --list-profiles");
        return ExitCode::from(2);
    };
    runtime.block_on(async move {
        match run(profile, cli, test_plan).await {
            Ok(code) => code,
            Err(error) => {
                eprintln!("shop-load: {error:#}");
                ExitCode::from(2)
            }
        }
    })
}

/// Removes `--test-plan PLAN` (or `--test-plan=PLAN`) from the arguments,
/// returning it.
fn take_test_plan(args: Vec<OsString>) -> (Vec<OsString>, Option<String>) {
    let mut kept = Vec::with_capacity(args.len());
    let mut plan = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--test-plan") => plan = args.next().map(|p| p.to_string_lossy().into_owned()),
            Some(text) if text.starts_with("--test-plan=") => plan = Some(text["--test-plan=".len()..].to_owned()),
            _ => kept.push(arg),
        }
    }
    (kept, plan)
}

/// Who this process is: `--worker-index` (a number, or its rank among the
/// addresses of a DNS name), else a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX`, else 0.
async fn worker(cli: &Cli) -> anyhow::Result<Worker> {
    let count = usize::from(cli.workers);
    let given = cli.worker_index.clone().or_else(|| std::env::var("JOB_COMPLETION_INDEX").ok());
    let index = match given.as_deref() {
        None => 0,
        Some(name) if name.starts_with("dns:") => {
            rank_among_peers(&name["dns:".len()..], count, Duration::from_secs(120)).await?
        }
        Some(text) => text.parse().map_err(|_| anyhow::anyhow!("worker index {text:?} is not a number"))?,
    };
    anyhow::ensure!(index < count, "worker index {index} is not below --workers {count}");
    Ok(Worker { index, count })
}

/// What load a run makes: goose's users (closed loop) on a test plan, or
/// users from `-u/-r/-t`; or arrivals at a rate (open loop).
enum Load {
    Users { plan: Option<String> },
    Arrivals { plan: ArrivalPlan, thresholds: Vec<String> },
}

impl Load {
    fn from_cli(profile: &Profile, cli: &Cli, test_plan: Option<String>, worker: Worker) -> anyhow::Result<Self> {
        let by_users = cli.goose.users.is_some() || cli.goose.increase_rate.is_some() || cli.goose.run_time.is_some();
        if cli.open_loop || cli.arrival_rate.is_some() {
            anyhow::ensure!(!by_users && test_plan.is_none(), "open-loop load takes --arrival-rate, not users");
            let (text, thresholds) = match (&cli.arrival_rate, &profile.open_loop) {
                (Some(plan), open) => (plan.clone(), open.as_ref().map_or(profile.thresholds, |o| o.thresholds)),
                (None, Some(open)) => (open.arrivals.to_owned(), open.thresholds),
                (None, None) => anyhow::bail!("profile {} has no open-loop plan; give --arrival-rate", profile.name),
            };
            let thresholds = match (&cli.goose.threshold, cli.no_thresholds) {
                (_, true) => Vec::new(),
                (given, false) if !given.is_empty() => given.clone(),
                _ => thresholds.iter().map(|t| (*t).to_owned()).collect(),
            };
            return Ok(Load::Arrivals { plan: ArrivalPlan::parse(&text)?, thresholds });
        }
        anyhow::ensure!(
            !(by_users && (test_plan.is_some() || worker.count > 1)),
            "give the load either as --test-plan (what --workers splits) or as -u/-r/-t, not both"
        );
        Ok(Load::Users { plan: (!by_users).then(|| test_plan.unwrap_or_else(|| profile.test_plan.to_owned())) })
    }

    fn mode(&self) -> &'static str {
        match self {
            Load::Users { .. } => "closed",
            Load::Arrivals { .. } => "open",
        }
    }

    /// The whole run's plan ("" for users from -u/-r/-t).
    fn plan(&self) -> String {
        match self {
            Load::Users { plan } => plan.clone().unwrap_or_default(),
            Load::Arrivals { plan, .. } => plan.as_str().to_owned(),
        }
    }
}

/// What a run did, for its table and `summary.json`.
struct Finished {
    code: ExitCode,
    rows: Vec<Row>,
    requests: u64,
    details: serde_json::Value,
}

async fn run(profile: &'static Profile, cli: Cli, test_plan: Option<String>) -> anyhow::Result<ExitCode> {
    let host = cli.goose.host.clone().unwrap_or_else(|| DEFAULT_HOST.into());
    let admin = Admin {
        email: std::env::var("LOAD_ADMIN_EMAIL").unwrap_or_else(|_| "admin@shop.local".into()),
        password: std::env::var("LOAD_ADMIN_PASSWORD").unwrap_or_else(|_| "admin-dev-password-change-me".into()),
    };
    let worker = worker(&cli).await?;
    let load = Load::from_cli(profile, &cli, test_plan, worker)?;
    let start_at = cli.start_at.as_deref().map(parse_time).transpose()?;
    let live = start_live_metrics(&cli, worker, profile, &load, start_at).await?;

    // The data is made once, by the first worker; the others wait for it.
    let catalogue = if worker.index == 0 {
        seed(&host, &admin, profile.name).await?
    } else {
        await_seed(&host, &admin, profile.name, Duration::from_secs(300)).await?
    };
    println!(
        "set-up: {} products, {} categories, stock topped up",
        catalogue.product_ids.len(),
        catalogue.categories.len()
    );
    if cli.setup_only {
        return Ok(ExitCode::SUCCESS);
    }
    scenarios::install(catalogue);
    scenarios::set_think_time(profile.think_ms);
    if let Some(web) = cli.web.clone().or_else(|| std::env::var("LOAD_WEB_URL").ok()).filter(|w| !w.is_empty()) {
        scenarios::set_storefront_url(web.trim_end_matches('/'));
    }

    let started = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let dir = match worker.count {
        1 => format!("reports/{}-{started}", profile.name),
        _ => format!("reports/{}-{started}-worker-{}", profile.name, worker.index),
    };
    std::fs::create_dir_all(&dir)?;
    let request_log = cli.goose.request_log.clone();
    let finished = match &load {
        Load::Users { plan } => {
            let attack = prepare_attack(profile, &cli, plan.as_deref(), worker, &host, &dir)?;
            begin(start_at, worker, live).await?;
            closed_loop(attack).await?
        }
        Load::Arrivals { plan, thresholds } => {
            let rules = thresholds.iter().map(|t| Rule::parse(t)).collect::<anyhow::Result<Vec<_>>>()?;
            begin(start_at, worker, live).await?;
            let outcome = open_loop::run(plan, worker, &host, profile.name, cli.max_in_flight).await?;
            if let Some(path) = &request_log {
                std::fs::write(path, open_loop::request_log(&outcome.requests))?;
            }
            let rows = verdict::evaluate(&rules, &outcome.requests, &Phases::of_levels(plan.levels()));
            Finished {
                code: if rows.iter().all(|r| r.passed) { ExitCode::SUCCESS } else { ExitCode::from(1) },
                requests: outcome.requests.len() as u64,
                details: json!({"arrival_plan": plan.as_str(), "dropped": outcome.dropped}),
                rows,
            }
        }
    };
    if let Some(live) = live {
        live.finish();
    }
    print!("{}", table(profile.name, &finished.rows));
    println!("requests: {} (worker {} of {}, {} loop)", finished.requests, worker.index, worker.count, load.mode());
    let summary = json!({
        "profile": profile.name,
        "mode": load.mode(),
        "test_plan": load.plan(),
        "passed": finished.rows.iter().all(|r| r.passed),
        "requests": finished.requests,
        "worker": {"index": worker.index, "of": worker.count},
        "details": finished.details,
        "thresholds": finished.rows.iter().map(Row::to_json).collect::<Vec<_>>(),
    });
    std::fs::write(format!("{dir}/summary.json"), serde_json::to_string_pretty(&summary)?)?;
    println!("reports in {dir}/");
    if let Some(live) = live
        && cli.linger > 0
    {
        if live.scraped_after_finish(Duration::from_secs(cli.linger)).await {
            println!("Prometheus has the run's last figures");
        } else {
            eprintln!(
                "shop-load: no scrape of /metrics within {} s after the run: Prometheus lacks its last figures",
                cli.linger
            );
        }
    }
    Ok(finished.code)
}

/// The live metrics and their server, when `--metrics-addr` (or
/// `LOAD_METRICS_ADDR`) asks for them.
async fn start_live_metrics(
    cli: &Cli,
    worker: Worker,
    profile: &Profile,
    load: &Load,
    start_at: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<Option<&'static live::LiveMetrics>> {
    let address = match cli.metrics_addr {
        Some(address) => address,
        None => match std::env::var("LOAD_METRICS_ADDR") {
            Ok(address) => address.parse()?,
            Err(_) => return Ok(None),
        },
    };
    let run = Run {
        id: start_at.unwrap_or_else(chrono::Utc::now).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        profile: profile.name.to_owned(),
        mode: load.mode(),
        plan: load.plan(),
    };
    let live = live::enable(worker, &run, Phases::of_run(run.mode, &run.plan));
    let bound = live::server::serve(live, address).await?;
    println!("live metrics on http://{bound}/metrics (worker {} of {}, run {})", worker.index, worker.count, run.id);
    Ok(Some(live))
}

/// Waits for the common start, then starts the clock of the phases.
async fn begin(
    start_at: Option<chrono::DateTime<chrono::Utc>>,
    worker: Worker,
    live: Option<&live::LiveMetrics>,
) -> anyhow::Result<()> {
    if let Some(at) = start_at {
        wait_until(at, worker).await?;
    }
    if let Some(live) = live {
        live.start();
    }
    Ok(())
}

/// goose, with the shop's scenarios, this worker's share of the plan and,
/// for a single process, the profile's thresholds.
fn prepare_attack(
    profile: &Profile,
    cli: &Cli,
    plan: Option<&str>,
    worker: Worker,
    host: &str,
    dir: &str,
) -> anyhow::Result<Box<GooseAttack>> {
    let mut configuration = cli.goose.clone();
    if configuration.report_file.is_empty() {
        configuration.report_file = vec![format!("{dir}/report.html"), format!("{dir}/report.json")];
    }
    let mut attack = GooseAttack::initialize_with_config(configuration)?
        .register_scenario(scenarios::anonymous_browsing()?)
        .register_scenario(scenarios::shopper()?)
        .register_scenario(scenarios::returning_customer()?)
        .register_scenario(scenarios::admin()?);
    if scenarios::storefront_url().is_some() {
        attack = attack.register_scenario(scenarios::storefront_visitor()?);
    }
    let mut attack = attack
        .set_default(GooseDefault::Host, host)?
        .set_default(GooseDefault::RunningMetrics, 5)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoWebSocket, true)?;
    if let Some(plan) = plan {
        let share = worker_plan(plan, worker.count, worker.index)?;
        println!("worker {} of {}: plan {share}", worker.index, worker.count);
        attack = attack.set_default(GooseDefault::TestPlan, share.as_str())?;
    }
    // Many workers are judged together, from Prometheus (`shop-load judge`):
    // one worker's share says nothing about the run's thresholds.
    let thresholds: &[&str] = if cli.no_thresholds || worker.count > 1 { &[] } else { profile.thresholds };
    for rule in thresholds {
        attack = attack.set_default(GooseDefault::Threshold, *rule)?;
    }
    if !thresholds.is_empty() {
        // Thresholds are checked live from the first steady phase; give the
        // caches and pools 30 s there before a broken one stops the run
        // (the verdict at the end is unchanged).
        attack = attack.set_default(GooseDefault::ThresholdAbortDelay, 30usize)?;
    }
    Ok(attack)
}

/// goose's run and verdict.
async fn closed_loop(attack: Box<GooseAttack>) -> anyhow::Result<Finished> {
    let (code, metrics) = match attack.execute().await {
        Ok(metrics) => (ExitCode::SUCCESS, metrics),
        Err(GooseError::ThresholdsFailed { metrics, .. }) => (ExitCode::from(1), *metrics.0),
        Err(error) => anyhow::bail!("{error:?}"),
    };
    let rows = metrics
        .thresholds
        .iter()
        .map(|t| Row { rule: t.rule.clone(), observed: t.observed.clone(), value: t.value, passed: t.passed })
        .collect();
    let requests = metrics.requests.values().map(|r| (r.success_count + r.fail_count) as u64).sum();
    Ok(Finished {
        code,
        rows,
        requests,
        details: json!({"duration_secs": metrics.duration, "users": metrics.maximum_users}),
    })
}

/// Holds this worker until the common start time; one that comes too late
/// refuses to run out of step with the others.
async fn wait_until(at: chrono::DateTime<chrono::Utc>, worker: Worker) -> anyhow::Result<()> {
    let wait = at - chrono::Utc::now();
    match wait.to_std() {
        Ok(wait) => {
            println!("worker {} of {}: starting at {at} (in {:.1} s)", worker.index, worker.count, wait.as_secs_f64());
            tokio::time::sleep(wait).await;
            Ok(())
        }
        Err(_) if wait > -chrono::TimeDelta::seconds(5) => Ok(()),
        Err(_) => anyhow::bail!(
            "the start time {at} passed {} s ago: this worker would run out of step with the others",
            -wait.num_seconds()
        ),
    }
}

/// `shop-load judge`: prints the table, writes the report; 0 when the run
/// is whole and every threshold held, 1 when one broke, 2 when the run is
/// not whole or cannot be judged.
async fn judge(args: JudgeArgs) -> anyhow::Result<ExitCode> {
    let to = args.to.as_deref().map(parse_time).transpose()?.unwrap_or_else(chrono::Utc::now);
    let from = args.from.as_deref().map(parse_time).transpose()?.unwrap_or(to - chrono::TimeDelta::hours(1));
    anyhow::ensure!(from < to, "--from {from} is not before --to {to}");
    let thresholds: Vec<String> = if args.threshold.is_empty() {
        let profile = profile(&args.profile)
            .ok_or_else(|| anyhow::anyhow!("no profile {:?}; try --list-profiles", args.profile))?;
        profile.thresholds.iter().map(|t| (*t).to_owned()).collect()
    } else {
        args.threshold.clone()
    };
    let prometheus = Prometheus::new(&args.prometheus);
    let judge = |window| {
        let (prometheus, thresholds, profile, run) = (&prometheus, &thresholds, &args.profile, args.run.as_deref());
        async move { loadtests::judge::judge(prometheus, profile, &window, run, thresholds).await }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait);
    let (verdict, window) = loop {
        let window = Window { from, to: if args.to.is_some() { to } else { chrono::Utc::now() } };
        let verdict = judge(window).await;
        let settled = verdict.as_ref().is_ok_and(|v| v.settled(&window));
        if settled || tokio::time::Instant::now() >= deadline {
            break (verdict?, window);
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    };
    print!("{}", table(&verdict.profile, &verdict.rows));
    let counts: Vec<String> = verdict.workers.iter().map(|w| format!("worker {}: {}", w.worker, w.requests)).collect();
    println!(
        "requests: {} from {} of {} workers ({}); run {}",
        verdict.requests,
        verdict.workers.len(),
        verdict.workers_expected,
        counts.join(", "),
        verdict.run
    );
    for problem in &verdict.problems {
        eprintln!("RUN NOT WHOLE: {problem}");
    }
    let dir = format!("reports/{}-{}-judged", verdict.profile, chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    std::fs::create_dir_all(&dir)?;
    let report = verdict.to_json(&window, &args.prometheus);
    std::fs::write(format!("{dir}/summary.json"), serde_json::to_string_pretty(&report)?)?;
    println!("report in {dir}/summary.json");
    Ok(match (verdict.problems.is_empty(), verdict.passed()) {
        (false, _) => ExitCode::from(2),
        (true, true) => ExitCode::SUCCESS,
        (true, false) => ExitCode::from(1),
    })
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_chaos_runner_s_command_line_is_read_whole() {
        // As chaos/src/runner/load.rs builds it, an experiment's own flags last.
        let cli = Cli::try_parse_from([
            "shop-load",
            "--profile",
            "smoke",
            "--no-thresholds",
            "--host",
            "http://127.0.0.1:8080",
            "--test-plan",
            "8,5s;8,105s;0,1s",
            "--scenarios",
            "shopper",
            "--verbose",
        ])
        .unwrap();
        assert_eq!(cli.profile.as_deref(), Some("smoke"));
        assert!(cli.no_thresholds && !cli.setup_only && !cli.list_profiles);
        assert_eq!(cli.goose.host.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(cli.goose.verbose, 1);
    }

    #[test]
    fn goose_s_options_and_the_profile_s_mix_in_any_order() {
        // As loadtests/tests/profiles.rs calls it: `--host` after Goose's options.
        let cli = Cli::try_parse_from([
            "shop-load",
            "--threshold",
            "error-rate<50%",
            "--profile",
            "smoke",
            "--threshold",
            "p95<60s",
            "-u",
            "40",
            "-r",
            "4",
            "-t",
            "10m",
            "--setup-only",
            "-H",
            "http://gw:8080",
        ])
        .unwrap();
        assert_eq!(cli.profile.as_deref(), Some("smoke"));
        assert!(cli.setup_only);
        assert_eq!(cli.goose.threshold, ["error-rate<50%", "p95<60s"]);
        assert_eq!(cli.goose.users, Some(40));
        assert_eq!(cli.goose.run_time.as_deref(), Some("10m"));
        assert_eq!(cli.goose.host.as_deref(), Some("http://gw:8080"));
        assert!(Cli::try_parse_from(["shop-load", "--list-profiles"]).unwrap().list_profiles);
    }

    #[test]
    fn help_and_version_answer_and_a_wrong_flag_is_refused() {
        assert_eq!(Cli::try_parse_from(["shop-load", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert!(Cli::try_parse_from(["shop-load", "--version"]).unwrap().goose.version);
        assert!(Cli::try_parse_from(["shop-load", "-V"]).unwrap().goose.version);
        let error = Cli::try_parse_from(["shop-load", "--profile", "smoke", "--no-threshold"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
    }
}
