//! `shop-invariants`: prints the invariant report; exits 1 on violations.
//!
//! ORDERS_DATABASE_URL, PAYMENTS_DATABASE_URL, INVENTORY_DATABASE_URL,
//! NOTIFICATIONS_DATABASE_URL (read-only access is enough);
//! INVARIANTS_GRACE_SECS (default 30): how long a saga may be in flight, or
//! an event unnotified, before it counts as a violation. `--json` prints JSON.

use std::time::Duration;

use invariants::{Databases, check};
use platform::config::Env;
use secrecy::ExposeSecret;
use sqlx::postgres::PgPoolOptions;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
    if std::env::args().any(|a| a == "--json") {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    std::process::exit(if report.is_clean() { 0 } else { 1 });
}
