//! `chaos`: runs experiments (chaos/experiments/*.toml) against the running stack.
//!
//! ```text
//! chaos run <file.toml> [--prometheus URL] [--proxy URL] [--gateway URL]
//!                       [--project NAME] [--load-bin PATH] [--no-load]
//!                       [--invariants "CMD ARGS"] [--reports DIR]
//! chaos check <file.toml>...     parse and validate, run nothing
//! ```
//! Exit status: 0 the experiment passed; 1 a hypothesis or expectation
//! failed, or a fault acted on nothing; 2 the run could not be carried out;
//! 130 interrupted (faults removed all the same).

use std::path::PathBuf;
use std::process::ExitCode;

use chaos::runner::{self, Experiment, Outcome, Settings};

const USAGE: &str = "usage: chaos run <file.toml> [--prometheus URL] [--proxy URL] [--gateway URL] [--project NAME] [--load-bin PATH] [--no-load] [--invariants CMD] [--reports DIR]\n       chaos check <file.toml>...";

fn settings(args: &mut impl Iterator<Item = String>) -> Result<(Vec<String>, Settings), String> {
    let mut settings = Settings::default();
    let mut files = Vec::new();
    let env = |key: &str, default: &mut String| {
        if let Ok(value) = std::env::var(key) {
            *default = value;
        }
    };
    env("CHAOS_PROMETHEUS", &mut settings.prometheus);
    env("CHAOS_PROXY", &mut settings.proxy_api);
    env("CHAOS_GATEWAY", &mut settings.gateway);
    env("COMPOSE_PROJECT_NAME", &mut settings.compose_project);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--prometheus" => settings.prometheus = value()?,
            "--proxy" => settings.proxy_api = value()?,
            "--gateway" => settings.gateway = value()?,
            "--project" => settings.compose_project = value()?,
            "--load-bin" => settings.load_binary = PathBuf::from(value()?),
            "--invariants" => settings.invariants = value()?.split_whitespace().map(str::to_owned).collect(),
            "--reports" => settings.report_dir = PathBuf::from(value()?),
            "--no-load" => settings.no_load = true,
            flag if flag.starts_with('-') => return Err(format!("unknown flag {flag}")),
            file => files.push(file.to_owned()),
        }
    }
    Ok((files, settings))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let (files, settings) = match settings(&mut args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("chaos: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command.as_str() {
        "check" if !files.is_empty() => {
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
        "run" if files.len() == 1 => {
            let file = &files[0];
            let experiment = match Experiment::load(file.as_ref()) {
                Ok(experiment) => experiment,
                Err(error) => {
                    eprintln!("chaos: {error:#}");
                    return ExitCode::from(2);
                }
            };
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async {
                let interrupt = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                match runner::run(&experiment, file, &settings, interrupt).await {
                    Ok((report, dir)) => {
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
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
