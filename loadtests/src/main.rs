//! `shop-load`: runs a named load profile against the shop's gateway.
//!
//! ```text
//! shop-load --profile smoke [--host http://127.0.0.1:8080] [any goose flag: -u -r -t --test-plan --threshold ...]
//! shop-load --setup-only      only make the data (categories, products, stock)
//! shop-load --no-thresholds   traffic only: no threshold stops or fails the run
//!                             (the chaos runner's load, where breaking them is the point)
//! shop-load --list-profiles
//! ```
//! The admin account comes from LOAD_ADMIN_EMAIL / LOAD_ADMIN_PASSWORD
//! (default: the compose stack's development admin). Reports (goose's HTML
//! and JSON, and `summary.json`) go to `reports/<profile>-<time>/`.
//! Exit status: 0 when every threshold held, 1 when one broke, 2 on errors.

use std::process::ExitCode;

use goose::GooseError;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use loadtests::profiles::{PROFILES, profile};
use loadtests::scenarios;
use loadtests::setup::{Admin, seed};
use serde_json::json;

struct Options {
    profile: String,
    setup_only: bool,
    no_thresholds: bool,
    host: String,
    goose_args: Vec<String>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1).peekable();
    let mut options = Options {
        profile: std::env::var("LOAD_PROFILE").unwrap_or_else(|_| "smoke".into()),
        setup_only: false,
        no_thresholds: false,
        host: "http://127.0.0.1:8080".into(),
        goose_args: Vec::new(),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--profile" => options.profile = args.next().ok_or("--profile needs a name")?,
            "--setup-only" => options.setup_only = true,
            "--no-thresholds" => options.no_thresholds = true,
            "--list-profiles" => {
                for p in &PROFILES {
                    println!(
                        "{:8} {}\n         plan {}; thresholds {}",
                        p.name,
                        p.purpose,
                        p.test_plan,
                        p.thresholds.join(", ")
                    );
                }
                std::process::exit(0);
            }
            "-H" | "--host" => {
                options.host = args.next().ok_or("--host needs a URL")?;
                options.goose_args.extend([arg, options.host.clone()]);
            }
            _ => options.goose_args.push(arg),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("shop-load: {message}");
            return ExitCode::from(2);
        }
    };
    let Some(profile) = profile(&options.profile) else {
        eprintln!("shop-load: no profile {:?}; try --list-profiles", options.profile);
        return ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        match run(profile, options).await {
            Ok(code) => code,
            Err(error) => {
                eprintln!("shop-load: {error:#}");
                ExitCode::from(2)
            }
        }
    })
}

async fn run(profile: &'static loadtests::profiles::Profile, options: Options) -> anyhow::Result<ExitCode> {
    let admin = Admin {
        email: std::env::var("LOAD_ADMIN_EMAIL").unwrap_or_else(|_| "admin@shop.local".into()),
        password: std::env::var("LOAD_ADMIN_PASSWORD").unwrap_or_else(|_| "admin-dev-password-change-me".into()),
    };
    let catalogue = seed(&options.host, &admin, profile.name).await?;
    println!(
        "set-up: {} products, {} categories, stock topped up",
        catalogue.product_ids.len(),
        catalogue.categories.len()
    );
    if options.setup_only {
        return Ok(ExitCode::SUCCESS);
    }
    scenarios::install(catalogue);
    scenarios::set_think_time(profile.think_ms);

    let dir = format!("reports/{}-{}", profile.name, chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    std::fs::create_dir_all(&dir)?;
    let mut goose_args = options.goose_args.clone();
    if !goose_args.iter().any(|a| a == "--report-file") {
        goose_args.extend([
            "--report-file".into(),
            format!("{dir}/report.html"),
            "--report-file".into(),
            format!("{dir}/report.json"),
        ]);
    }
    let configuration = GooseConfiguration::parse_args_default(&goose_args)?;
    let mut attack = GooseAttack::initialize_with_config(configuration)?
        .register_scenario(scenarios::anonymous_browsing()?)
        .register_scenario(scenarios::shopper()?)
        .register_scenario(scenarios::returning_customer()?)
        .register_scenario(scenarios::admin()?)
        .set_default(GooseDefault::Host, options.host.as_str())?
        .set_default(GooseDefault::TestPlan, profile.test_plan)?
        .set_default(GooseDefault::RunningMetrics, 5)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoWebSocket, true)?;
    let thresholds: &[&str] = if options.no_thresholds { &[] } else { profile.thresholds };
    for rule in thresholds {
        attack = attack.set_default(GooseDefault::Threshold, *rule)?;
    }
    if !thresholds.is_empty() {
        // Thresholds are checked live from the first steady phase; give the
        // caches and pools 30 s there before a broken one stops the run
        // (the verdict at the end is unchanged).
        attack = attack.set_default(GooseDefault::ThresholdAbortDelay, 30usize)?;
    }

    let (code, metrics, failed_early) = match attack.execute().await {
        Ok(metrics) => (ExitCode::SUCCESS, metrics, false),
        Err(GooseError::ThresholdsFailed { metrics, .. }) => (ExitCode::from(1), *metrics.0, true),
        Err(error) => return Err(anyhow::anyhow!("{error:?}")),
    };
    print_thresholds(profile.name, &metrics);
    let summary = json!({
        "profile": profile.name,
        "test_plan": profile.test_plan,
        "passed": !failed_early,
        "duration_secs": metrics.duration,
        "users": metrics.maximum_users,
        "thresholds": metrics.thresholds.iter().map(|t| json!({"rule": t.rule, "observed": t.observed, "passed": t.passed})).collect::<Vec<_>>(),
        "reports": [format!("{dir}/report.html"), format!("{dir}/report.json")],
    });
    std::fs::write(format!("{dir}/summary.json"), serde_json::to_string_pretty(&summary)?)?;
    println!("reports in {dir}/ (report.html, report.json, summary.json)");
    Ok(code)
}

fn print_thresholds(profile: &str, metrics: &GooseMetrics) {
    println!("\nthresholds of profile {profile}:");
    println!("  {:<50} {:>22}  result", "rule", "observed");
    for result in &metrics.thresholds {
        let verdict = if result.passed { "PASS" } else { "FAIL" };
        println!("  {:<50} {:>22}  {verdict}", result.rule, result.observed);
    }
}
