//! `bench`: the testbed's own costs, each measured side by side with what a
//! user would pick instead, sides alternated, repeated for a median and a
//! range. Prints Markdown tables; writes `reports/bench/<suite>.json` and
//! `.md`. Run it through `scripts/bench.sh`, which installs wrk and nginx,
//! builds the release binaries and selects the local images.
//!
//! ```text
//! bench [gateway|telemetry|proxy|checkout|footprint|idle|profile|loadgen|all]...
//!       [--rounds N] [--seconds S] [--connections C] [--customers N] [--load-seconds S]
//!       [--idle-seconds S] [--profile NAME]
//! ```

mod nginx;
mod otlp;
mod procs;
mod report;
mod stack;
mod suites;
mod wrk;

use std::time::Duration;

use anyhow::Context;
use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use suites::Plan;

/// The testbed's own costs, each side by side with what a user would pick
/// instead (run it through scripts/bench.sh).
#[derive(Parser, Debug)]
#[command(name = "bench", version)]
struct Cli {
    /// The suites to run, in this order; `all` is every suite
    #[arg(value_enum, required = true)]
    suites: Vec<Suite>,
    /// Rounds per side
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    rounds: usize,
    /// Seconds per run
    #[arg(long, value_name = "S", default_value_t = 5)]
    seconds: u64,
    /// Connections of the saturation runs
    #[arg(long, value_name = "C", default_value_t = 32)]
    connections: u32,
    /// Concurrent customers of the checkout suite
    #[arg(long, value_name = "N", default_value_t = 16)]
    customers: usize,
    /// Seconds of steady load in the footprint suite
    #[arg(long, value_name = "S", default_value_t = 60)]
    load_seconds: u64,
    /// Seconds the idle suite measures the compose stack at rest
    #[arg(long, value_name = "S", default_value_t = 60, value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    idle_seconds: u64,
    /// The load profile whose thresholds the profile suite judges
    #[arg(long, value_name = "NAME", default_value = "smoke")]
    profile: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    Gateway,
    Telemetry,
    Proxy,
    Checkout,
    Footprint,
    /// The compose stack at rest: every container's CPU and the machine's
    Idle,
    /// A load profile's own thresholds against the release build
    Profile,
    /// The load generator's requests per core against a trivial endpoint, beside wrk
    Loadgen,
    All,
}

const SUITES: [Suite; 8] = [
    Suite::Gateway,
    Suite::Telemetry,
    Suite::Proxy,
    Suite::Checkout,
    Suite::Footprint,
    Suite::Idle,
    Suite::Profile,
    Suite::Loadgen,
];

struct Options {
    suites: Vec<Suite>,
    plan: Plan,
    customers: usize,
    load_seconds: u64,
    idle_seconds: u64,
    profile: String,
}

impl From<Cli> for Options {
    fn from(cli: Cli) -> Self {
        let suites = cli
            .suites
            .into_iter()
            .flat_map(|suite| if suite == Suite::All { SUITES.to_vec() } else { vec![suite] })
            .collect();
        Options {
            suites,
            plan: Plan { rounds: cli.rounds, window: Duration::from_secs(cli.seconds), connections: cli.connections },
            customers: cli.customers,
            load_seconds: cli.load_seconds,
            idle_seconds: cli.idle_seconds,
            profile: cli.profile,
        }
    }
}

impl Suite {
    /// Its name on the command line, in reports and in file names.
    fn name(self) -> String {
        self.to_possible_value().expect("every suite has a name").get_name().to_owned()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::from(Cli::parse());
    // Ctrl-C or SIGTERM stops every process the suites started before exiting.
    process_groups::stop_all_on_signal()?;
    let machine = report::machine();
    eprintln!("machine: {machine}");
    let mut tables = Vec::new();
    for &suite in &options.suites {
        let plan = &options.plan;
        let (table, result) = match suite {
            Suite::Gateway => suites::gateway::run(plan).await,
            Suite::Telemetry => suites::telemetry::run(plan).await,
            Suite::Proxy => suites::proxy::run(plan).await,
            Suite::Checkout => suites::checkout::run(plan, options.customers).await,
            Suite::Footprint => suites::footprint::run(options.load_seconds).await,
            Suite::Idle => suites::idle::run(Duration::from_secs(options.idle_seconds)).await,
            Suite::Profile => suites::profile::run(&options.profile).await,
            Suite::Loadgen => suites::loadgen::run(plan).await,
            Suite::All => unreachable!("expanded when parsing"),
        }
        .with_context(|| format!("suite {}", suite.name()))?;
        let suite = suite.name();
        let saved = serde_json::json!({
            "suite": suite,
            "machine": machine,
            "rounds": plan.rounds,
            "seconds_per_run": plan.window.as_secs(),
            "result": result,
        });
        let path = report::save(&suite, &saved, &table)?;
        println!("\n{}\n(JSON: {})", table.markdown(), path.display());
        tables.push(table.markdown());
    }
    std::fs::write(report::reports_dir().join("latest.md"), tables.join("\n"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn suites_and_flags_mix_and_all_is_every_suite() {
        // As docs/benchmarks.md and scripts/bench.sh call it.
        let options = Options::from(
            Cli::try_parse_from(["bench", "gateway", "telemetry", "--rounds", "7", "--seconds", "5"]).unwrap(),
        );
        assert_eq!(options.suites, [Suite::Gateway, Suite::Telemetry]);
        assert_eq!((options.plan.rounds, options.plan.window), (7, Duration::from_secs(5)));
        let options = Options::from(Cli::try_parse_from(["bench", "proxy", "--connections", "8", "all"]).unwrap());
        assert_eq!(options.suites[0], Suite::Proxy);
        assert_eq!(&options.suites[1..], SUITES);
        assert_eq!((options.plan.connections, options.customers, options.load_seconds), (8, 16, 60));
        assert_eq!(options.idle_seconds, 60);
    }

    #[test]
    fn help_and_version_answer_and_a_wrong_flag_suite_or_round_count_is_refused() {
        assert_eq!(Cli::try_parse_from(["bench", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(Cli::try_parse_from(["bench", "--version"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
        let error = Cli::try_parse_from(["bench", "all", "--round", "3"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
        assert_eq!(Cli::try_parse_from(["bench", "nginx"]).unwrap_err().kind(), ErrorKind::InvalidValue);
        assert_eq!(Cli::try_parse_from(["bench"]).unwrap_err().kind(), ErrorKind::MissingRequiredArgument);
        assert_eq!(
            Cli::try_parse_from(["bench", "all", "--rounds", "0"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
    }
}
