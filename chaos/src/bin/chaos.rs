//! `chaos`: runs experiments (chaos/experiments/*.toml) against the running stack.
//!
//! ```text
//! chaos run <file.toml> [--prometheus URL] [--proxy URL] [--gateway URL]
//!                       [--project NAME] [--load-bin PATH] [--no-load]
//!                       [--invariants "CMD ARGS"] [--reports DIR]
//! chaos check <file.toml>...     parse and validate, run nothing
//! chaos draw <monkey.toml> --seed N   print the experiment a seed draws
//! chaos desk [--experiments DIR] [--listen ADDR] [--web URL] [--load-metrics ADDR]
//!                                the experiment desk's HTTP API (chaos::desk)
//! ```
//! A monkey file (`[monkey]`) is run with `chaos run <file> [--seed N]`:
//! the seed (given, the file's, or a fresh one, printed) draws the faults.
//! Exit status: 0 the experiment passed; 1 a hypothesis or expectation
//! failed, or a fault acted on nothing; 2 the run could not be carried out;
//! 130 interrupted (faults removed all the same).

use std::path::PathBuf;
use std::process::ExitCode;

use chaos::runner::{self, Experiment, Outcome, Settings, monkey};
use clap::{Args, Parser, Subcommand};

/// Runs chaos experiments (chaos/experiments/*.toml) against the running stack.
#[derive(Parser, Debug)]
#[command(
    name = "chaos",
    version,
    arg_required_else_help = true,
    after_help = "Exit status: 0 the experiment passed; 1 a hypothesis or expectation failed, or a fault acted on \
                  nothing; 2 the run could not be carried out; 130 interrupted (faults removed all the same)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    stack: StackArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one experiment: inject its faults, check its hypotheses, write a report
    Run {
        /// The experiment file
        #[arg(value_name = "FILE.toml")]
        file: String,
        /// Monkey files: the seed that draws the faults [default: the file's, else a fresh one]
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
    },
    /// Print the experiment a seed draws from a monkey file (the same seed, the same faults)
    Draw {
        /// The monkey file
        #[arg(value_name = "FILE.toml")]
        file: String,
        #[arg(long, value_name = "N")]
        seed: u64,
    },
    /// Serve the experiment desk: the catalogue, runs and load behind an HTTP API (the control room's)
    Desk {
        /// The experiment catalogue: every *.toml file of this folder
        #[arg(long, value_name = "DIR", default_value = "chaos/experiments")]
        experiments: PathBuf,
        /// Where the API listens [env: CHAOS_DESK_LISTEN] [default: 127.0.0.1:8475]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// The storefront, for the load's storefront visitors [env: CHAOS_WEB]
        #[arg(long, value_name = "URL")]
        web: Option<String>,
        /// Where the load started from the desk serves its live metrics [env: CHAOS_LOAD_METRICS]
        #[arg(long, value_name = "ADDR")]
        load_metrics: Option<String>,
    },
    /// Parse and validate experiment files, run nothing
    Check {
        /// The experiment files
        #[arg(value_name = "FILE.toml", required = true)]
        files: Vec<String>,
    },
}

/// Where the stack is and where the report goes; global, so they are read
/// before or after the subcommand and its files (`check` ignores them).
#[derive(Args, Debug)]
struct StackArgs {
    /// Prometheus [env: CHAOS_PROMETHEUS] [default: http://127.0.0.1:9090]
    #[arg(long, global = true, value_name = "URL")]
    prometheus: Option<String>,
    /// chaos-proxy's control API [env: CHAOS_PROXY] [default: http://127.0.0.1:8474]
    #[arg(long, global = true, value_name = "URL")]
    proxy: Option<String>,
    /// The shop's gateway [env: CHAOS_GATEWAY] [default: http://127.0.0.1:8080]
    #[arg(long, global = true, value_name = "URL")]
    gateway: Option<String>,
    /// The compose project of the containers faults stop [env: COMPOSE_PROJECT_NAME] [default: testbed]
    #[arg(long, global = true, value_name = "NAME")]
    project: Option<String>,
    /// Stop and kill faults scale down Deployments of this Kubernetes namespace instead of stopping compose containers
    #[arg(long, global = true, value_name = "NAMESPACE")]
    kubernetes: Option<String>,
    /// The load generator [default: shop-load next to this binary, else from PATH]
    #[arg(long, global = true, value_name = "PATH")]
    load_bin: Option<PathBuf>,
    /// Skip the experiment's load (bring your own traffic)
    #[arg(long, global = true)]
    no_load: bool,
    /// The invariant checker's command line, split on whitespace [default: scripts/invariants.sh]
    #[arg(long, global = true, value_name = "CMD")]
    invariants: Option<String>,
    /// Where reports go [default: reports/chaos]
    #[arg(long, global = true, value_name = "DIR")]
    reports: Option<PathBuf>,
}

impl StackArgs {
    /// The runner's settings: a flag wins over the environment, which wins over the defaults.
    fn settings(self) -> Settings {
        let mut settings = Settings::default();
        let pick = |flag: Option<String>, key: &str, default: &mut String| {
            if let Some(value) = flag.or_else(|| std::env::var(key).ok()) {
                *default = value;
            }
        };
        pick(self.prometheus, "CHAOS_PROMETHEUS", &mut settings.prometheus);
        pick(self.proxy, "CHAOS_PROXY", &mut settings.proxy_api);
        pick(self.gateway, "CHAOS_GATEWAY", &mut settings.gateway);
        pick(self.project, "COMPOSE_PROJECT_NAME", &mut settings.compose_project);
        settings.kubernetes_namespace = self.kubernetes;
        if let Some(path) = self.load_bin {
            settings.load_binary = path;
        }
        if let Some(command) = self.invariants {
            settings.invariants = command.split_whitespace().map(str::to_owned).collect();
        }
        if let Some(dir) = self.reports {
            settings.report_dir = dir;
        }
        settings.no_load = self.no_load;
        settings
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = cli.stack.settings();
    match cli.command {
        Command::Check { files } => {
            let mut ok = true;
            for file in &files {
                match Experiment::load(file.as_ref()) {
                    Ok(e) => println!(
                        "{file}: ok — {} ({} faults, {} expectations)",
                        e.title,
                        e.faults.len(),
                        e.expectations.len()
                    ),
                    Err(error) => {
                        ok = false;
                        eprintln!("{error:#}");
                    }
                }
            }
            if ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
        }
        Command::Draw { file, seed } => match Experiment::load(file.as_ref()) {
            Ok(catalogue) if catalogue.monkey.is_some() => {
                print!("{}", toml::to_string(&monkey::draw(&catalogue, seed)).expect("an experiment serializes"));
                ExitCode::SUCCESS
            }
            Ok(_) => {
                eprintln!("chaos: {file} has no [monkey] table: it is an experiment, run it as it is");
                ExitCode::from(2)
            }
            Err(error) => {
                eprintln!("chaos: {error:#}");
                ExitCode::from(2)
            }
        },
        Command::Desk { experiments, listen, web, load_metrics } => {
            let from_env = |flag: Option<String>, key: &str| flag.or_else(|| std::env::var(key).ok());
            let listen = from_env(listen, "CHAOS_DESK_LISTEN").unwrap_or_else(|| "127.0.0.1:8475".into());
            let web = from_env(web, "CHAOS_WEB");
            let load_metrics = from_env(load_metrics, "CHAOS_LOAD_METRICS");
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async move {
                match desk(experiments, listen, web, load_metrics, settings).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(error) => {
                        eprintln!("chaos desk: {error:#}");
                        ExitCode::from(2)
                    }
                }
            })
        }
        Command::Run { file, seed } => {
            let experiment = match Experiment::load(file.as_ref()) {
                Ok(experiment) => experiment,
                Err(error) => {
                    eprintln!("chaos: {error:#}");
                    return ExitCode::from(2);
                }
            };
            let monkey_file = experiment.monkey.is_some();
            let experiment = match &experiment.monkey {
                Some(table) => {
                    let seed = seed.or(table.seed).unwrap_or_else(monkey::fresh_seed);
                    let drawn = monkey::draw(&experiment, seed);
                    eprintln!(
                        "monkey: seed {seed} draws {} faults (chaos draw {file} --seed {seed})",
                        drawn.faults.len()
                    );
                    for fault in &drawn.faults {
                        eprintln!("  at {:>6} for {:>5}: {}", fmt(fault.at), fmt(fault.duration), fault.name);
                    }
                    drawn
                }
                None => experiment,
            };
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async {
                let interrupt = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                match runner::run(&experiment, &file, &settings, interrupt).await {
                    Ok((report, dir)) => {
                        if monkey_file {
                            // What was drawn, runnable as it is: `chaos run drawn.toml`.
                            let drawn = toml::to_string(&experiment).expect("an experiment serializes");
                            let _ = std::fs::write(dir.join("drawn.toml"), drawn);
                        }
                        eprintln!("report: {}/report.html (and report.json)", dir.display());
                        match report.outcome {
                            Outcome::Passed => ExitCode::SUCCESS,
                            Outcome::Failed => ExitCode::from(1),
                            Outcome::Error => ExitCode::from(2),
                            Outcome::Aborted => ExitCode::from(130),
                        }
                    }
                    Err(error) => {
                        eprintln!("chaos: {error:#}");
                        ExitCode::from(2)
                    }
                }
            })
        }
    }
}

/// Serves the desk until Ctrl-C or SIGTERM, then stops what it runs
/// (faults removed, load killed) before exiting.
async fn desk(
    experiments: PathBuf,
    listen: String,
    web: Option<String>,
    load_metrics: Option<String>,
    settings: Settings,
) -> anyhow::Result<()> {
    let log_filter = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let _telemetry =
        platform::telemetry::init_telemetry("chaos-desk", &platform::config::TelemetrySettings::logs_only(&log_filter));
    let load = chaos::desk::Load::new(chaos::desk::LoadSettings {
        binary: settings.load_binary.clone(),
        gateway: settings.gateway.clone(),
        web,
        metrics_addr: load_metrics,
        // The desk's own environment (LOAD_ADMIN_*) is inherited.
        env: Vec::new(),
        workdir: settings.report_dir.clone(),
    })
    .await;
    let desk = chaos::desk::Desk::new(experiments, settings, load);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    tracing::info!(address = %listen, "chaos desk listening");
    axum::serve(listener, desk.router()).with_graceful_shutdown(platform::server::shutdown_signal()).await?;
    desk.shut_down().await;
    Ok(())
}

fn fmt(duration: std::time::Duration) -> String {
    chaos::runner::durations::format_duration(duration)
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
    fn run_takes_one_file_and_the_stack_flags_before_or_after_it() {
        let cli = Cli::try_parse_from([
            "chaos",
            "run",
            "--proxy",
            "http://proxy:8474",
            "chaos/experiments/payments-slow.toml",
            "--no-load",
            "--invariants",
            "target/release/shop-invariants --json",
            "--reports",
            "out",
        ])
        .unwrap();
        assert!(
            matches!(&cli.command, Command::Run { file, seed: None } if file == "chaos/experiments/payments-slow.toml")
        );
        let settings = cli.stack.settings();
        assert_eq!(settings.proxy_api, "http://proxy:8474");
        assert!(settings.no_load);
        assert_eq!(settings.invariants, ["target/release/shop-invariants", "--json"]);
        assert_eq!(settings.report_dir, PathBuf::from("out"));
        assert!(Cli::try_parse_from(["chaos", "run", "a.toml", "b.toml"]).is_err(), "one experiment per run");
    }

    #[test]
    fn check_takes_one_file_or_more() {
        let cli = Cli::try_parse_from(["chaos", "check", "a.toml", "b.toml"]).unwrap();
        assert!(matches!(&cli.command, Command::Check { files } if files == &["a.toml", "b.toml"]));
        assert!(Cli::try_parse_from(["chaos", "check"]).is_err());
    }

    #[test]
    fn help_and_version_answer_and_a_wrong_flag_or_command_is_refused() {
        assert_eq!(Cli::try_parse_from(["chaos", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(Cli::try_parse_from(["chaos", "run", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(Cli::try_parse_from(["chaos", "--version"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
        let error = Cli::try_parse_from(["chaos", "run", "x.toml", "--no-such-flag"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
        assert_eq!(
            Cli::try_parse_from(["chaos", "launch", "x.toml"]).unwrap_err().kind(),
            ErrorKind::InvalidSubcommand
        );
        assert_eq!(
            Cli::try_parse_from(["chaos"]).unwrap_err().kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
    }
}
