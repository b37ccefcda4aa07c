//! `shop-invariants`: prints the invariant report; exits 1 on violations.
//!
//! ORDERS_DATABASE_URL, PAYMENTS_DATABASE_URL, INVENTORY_DATABASE_URL,
//! NOTIFICATIONS_DATABASE_URL (read-only access is enough);
//! INVARIANTS_GRACE_SECS (default 30): how long a saga may be in flight, or
//! an event unnotified, before it counts as a violation. `--json` prints JSON.

use std::time::Duration;

use clap::Parser;
use invariants::{Databases, check};
use platform::config::Env;
use secrecy::ExposeSecret;
use sqlx::postgres::PgPoolOptions;

/// Checks the order flow's invariants across the services' databases; exits 1 on any violation.
#[derive(Parser, Debug)]
#[command(
    name = "shop-invariants",
    version,
    after_help = "Environment: ORDERS_DATABASE_URL, PAYMENTS_DATABASE_URL, INVENTORY_DATABASE_URL, \
                  NOTIFICATIONS_DATABASE_URL (read-only access is enough); INVARIANTS_GRACE_SECS (default 30): \
                  how long a saga may be in flight, or an event unnotified, before it counts as a violation."
)]
struct Cli {
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (urls, grace) = platform::load_settings_or_exit("shop-invariants", |env: &mut Env| {
        let urls: Vec<_> = ["ORDERS", "PAYMENTS", "INVENTORY", "NOTIFICATIONS"]
            .iter()
            .map(|service| {
                env.secret(
                    &format!("{service}_DATABASE_URL"),
                    &format!("postgres://shop:shop-dev-password@127.0.0.1:5432/{}", service.to_lowercase()),
                )
            })
            .collect();
        (urls, Duration::from_secs(env.parse("INVARIANTS_GRACE_SECS", 30)))
    });
    let connect = |i: usize| PgPoolOptions::new().max_connections(2).connect(urls[i].expose_secret());
    let db = Databases {
        orders: connect(0).await?,
        payments: connect(1).await?,
        inventory: connect(2).await?,
        notifications: connect(3).await?,
    };
    let report = check(&db, grace).await?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    std::process::exit(if report.is_clean() { 0 } else { 1 });
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
    fn json_is_the_one_flag() {
        assert!(Cli::try_parse_from(["shop-invariants", "--json"]).unwrap().json);
        assert!(!Cli::try_parse_from(["shop-invariants"]).unwrap().json);
    }

    #[test]
    fn help_and_version_answer_and_a_wrong_flag_is_refused() {
        assert_eq!(Cli::try_parse_from(["shop-invariants", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(
            Cli::try_parse_from(["shop-invariants", "--version"]).unwrap_err().kind(),
            ErrorKind::DisplayVersion
        );
        let error = Cli::try_parse_from(["shop-invariants", "--jsn"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
    }
}
