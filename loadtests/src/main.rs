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

use clap::{CommandFactory, Parser};
use goose::GooseError;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use loadtests::profiles::{PROFILES, Profile, profile};
use loadtests::scenarios;
use loadtests::setup::{Admin, seed};
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
    #[command(flatten)]
    goose: GooseConfiguration,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    let name = cli.profile.clone().or_else(|| std::env::var("LOAD_PROFILE").ok()).unwrap_or_else(|| "smoke".into());
    let Some(profile) = profile(&name) else {
        eprintln!("shop-load: no profile {name:?}; try --list-profiles");
        return ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        match run(profile, cli).await {
            Ok(code) => code,
            Err(error) => {
                eprintln!("shop-load: {error:#}");
                ExitCode::from(2)
            }
        }
    })
}

async fn run(profile: &'static Profile, cli: Cli) -> anyhow::Result<ExitCode> {
    let host = cli.goose.host.clone().unwrap_or_else(|| DEFAULT_HOST.into());
    let admin = Admin {
        email: std::env::var("LOAD_ADMIN_EMAIL").unwrap_or_else(|_| "admin@shop.local".into()),
        password: std::env::var("LOAD_ADMIN_PASSWORD").unwrap_or_else(|_| "admin-dev-password-change-me".into()),
    };
    let catalogue = seed(&host, &admin, profile.name).await?;
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

    let dir = format!("reports/{}-{}", profile.name, chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    std::fs::create_dir_all(&dir)?;
    let mut configuration = cli.goose;
    if configuration.report_file.is_empty() {
        configuration.report_file = vec![format!("{dir}/report.html"), format!("{dir}/report.json")];
    }
    let mut attack = GooseAttack::initialize_with_config(configuration)?
        .register_scenario(scenarios::anonymous_browsing()?)
        .register_scenario(scenarios::shopper()?)
        .register_scenario(scenarios::returning_customer()?)
        .register_scenario(scenarios::admin()?)
        .set_default(GooseDefault::Host, host.as_str())?
        .set_default(GooseDefault::TestPlan, profile.test_plan)?
        .set_default(GooseDefault::RunningMetrics, 5)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoWebSocket, true)?;
    let thresholds: &[&str] = if cli.no_thresholds { &[] } else { profile.thresholds };
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
