//! Checkout throughput: customers checking out back to back through the
//! gateway of the whole shop (processes on 127.0.0.1), against what the
//! Postgres server under it does alone (pgbench, TPC-B-like, as many clients
//! as customers), the two alternated. Also: Postgres commits per checkout,
//! from `pg_stat_database` (every service's database is on that server).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::Plan;
use crate::report::{Spread, Table};
use crate::stack::{ADMIN_EMAIL, ADMIN_PASSWORD, Stack, call};

const POSTGRES_CONTAINER: &str = "testbed-test-postgres";

/// Runs `sql`/pgbench inside the test Postgres container.
fn in_postgres(script: &str) -> anyhow::Result<String> {
    let output = std::process::Command::new("docker")
        .args(["exec", "-e", "PGPASSWORD=test-only-password", POSTGRES_CONTAINER, "sh", "-c"])
        .arg(format!("PATH=\"$PATH:$(ls -d /usr/lib/postgresql/*/bin | tail -1)\"; {script}"))
        .output()?;
    anyhow::ensure!(output.status.success(), "{script}: {}", String::from_utf8_lossy(&output.stderr));
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn commits() -> anyhow::Result<f64> {
    let sum = in_postgres("psql -h 127.0.0.1 -U postgres -tAc 'SELECT sum(xact_commit) FROM pg_stat_database'")?;
    Ok(sum.trim().parse()?)
}

fn pgbench(clients: usize, window: Duration) -> anyhow::Result<f64> {
    let report = in_postgres(&format!(
        "pgbench -h 127.0.0.1 -U postgres -c {clients} -j 2 -T {} bench_pgbench 2>&1",
        window.as_secs().max(1)
    ))?;
    report
        .lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|rest| rest.split_whitespace().next()?.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's report:\n{report}"))
}

/// The admin's token, a product with plenty of stock, and `count` customers' tokens.
async fn set_up(http: &reqwest::Client, gateway: &str, count: usize) -> anyhow::Result<(i64, Vec<String>)> {
    let login = |email: String, password: String| {
        let url = format!("{gateway}/api/v1/auth/login");
        async move {
            let (status, session) =
                call(http, Method::POST, url, None, Some(json!({ "email": email, "password": password }))).await?;
            anyhow::ensure!(status == 200, "login: {status} {session}");
            Ok::<_, anyhow::Error>(session["access_token"].as_str().unwrap_or_default().to_owned())
        }
    };
    let admin = login(ADMIN_EMAIL.into(), ADMIN_PASSWORD.into()).await?;
    let category = json!({ "slug": "bench", "name": "Bench" });
    call(http, Method::POST, format!("{gateway}/api/v1/categories"), Some(&admin), Some(category)).await?;
    let product = json!({ "sku": "BENCH-CHECKOUT", "name": "Enamel mug", "price_cents": 1250, "currency": "EUR", "category": "bench" });
    let (status, created) =
        call(http, Method::POST, format!("{gateway}/api/v1/products"), Some(&admin), Some(product)).await?;
    anyhow::ensure!(status == 201, "product: {status} {created}");
    let product_id = created["id"].as_i64().unwrap_or_default();
    // Inventory takes at most 10,000 units per restock.
    for _ in 0..10 {
        let url = format!("{gateway}/api/v1/inventory/{product_id}/restock");
        let (status, answer) = call(http, Method::POST, url, Some(&admin), Some(json!({ "quantity": 10_000 }))).await?;
        anyhow::ensure!(status == 200, "restock: {status} {answer}");
    }
    let mut tokens = Vec::new();
    for i in 0..count {
        let email = format!("customer-{i}-{}@bench.local", uuid::Uuid::now_v7().simple());
        let password = "bench-only-password-1".to_owned();
        let body = json!({ "email": email, "password": password, "display_name": "Bench" });
        let (status, answer) =
            call(http, Method::POST, format!("{gateway}/api/v1/auth/register"), None, Some(body)).await?;
        anyhow::ensure!(status == 201, "register: {status} {answer}");
        tokens.push(login(email, password).await?);
    }
    Ok((product_id, tokens))
}

struct Window {
    confirmed: usize,
    other: usize,
    per_second: f64,
    latencies_ms: Vec<f64>,
}

/// Every customer checks out back to back for `window`.
async fn checkouts(
    http: &reqwest::Client,
    gateway: &str,
    product_id: i64,
    tokens: &[String],
    window: Duration,
) -> Window {
    let deadline = Instant::now() + window;
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| {
            let (http, token, url) = (http.clone(), token.clone(), format!("{gateway}/api/v1/orders"));
            tokio::spawn(async move {
                let body =
                    json!({ "items": [{ "product_id": product_id, "quantity": 1 }], "payment_method": "tok_visa" });
                let (mut confirmed, mut other, mut latencies) = (0, 0, Vec::new());
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match call(&http, Method::POST, url.clone(), Some(&token), Some(body.clone())).await {
                        Ok((201, order)) if order["status"] == "CONFIRMED" => confirmed += 1,
                        _ => other += 1,
                    }
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                (confirmed, other, latencies)
            })
        })
        .collect();
    let mut result = Window { confirmed: 0, other: 0, per_second: 0.0, latencies_ms: Vec::new() };
    for task in tasks {
        if let Ok((confirmed, other, latencies)) = task.await {
            result.confirmed += confirmed;
            result.other += other;
            result.latencies_ms.extend(latencies);
        }
    }
    result.per_second = result.confirmed as f64 / started.elapsed().as_secs_f64();
    result
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    stats::percentile(values, p).unwrap_or(f64::NAN)
}

pub async fn run(plan: &Plan, customers: usize) -> anyhow::Result<(Table, Value)> {
    let stack = Stack::start().await?;
    let http = reqwest::Client::new();
    let gateway = stack.gateway().to_owned();
    let (product_id, tokens) = set_up(&http, &gateway, customers).await?;
    in_postgres(
        "createdb -h 127.0.0.1 -U postgres bench_pgbench 2>/dev/null; pgbench -h 127.0.0.1 -U postgres -i -q -s 10 bench_pgbench >/dev/null 2>&1",
    )?;
    // Warm-up: pools filled, JWKS fetched, plans cached.
    checkouts(&http, &gateway, product_id, &tokens, Duration::from_secs(2)).await;

    eprintln!(
        "checkout: {customers} customers back to back vs pgbench -c {customers}, {} × {:?} each",
        plan.rounds, plan.window
    );
    let (mut rates, mut tps, mut per_checkout, mut latencies, mut failed) = (vec![], vec![], vec![], vec![], 0);
    for round in 0..plan.rounds {
        let pgbench_first = round % 2 == 1;
        if pgbench_first {
            tps.push(pgbench(customers, plan.window)?);
        }
        let before = commits()?;
        let window = checkouts(&http, &gateway, product_id, &tokens, plan.window).await;
        let committed = commits()? - before;
        if !pgbench_first {
            tps.push(pgbench(customers, plan.window)?);
        }
        eprintln!(
            "  round {}/{}: {:.1} checkouts/s ({} confirmed, {} other), {:.0} commits per checkout; pgbench {:.0} tps",
            round + 1,
            plan.rounds,
            window.per_second,
            window.confirmed,
            window.other,
            committed / window.confirmed.max(1) as f64,
            tps.last().copied().unwrap_or_default()
        );
        rates.push(window.per_second);
        per_checkout.push(committed / window.confirmed.max(1) as f64);
        latencies.extend(window.latencies_ms);
        failed += window.other;
    }
    let rate = Spread::of(rates.iter().copied());
    let tps_spread = Spread::of(tps.iter().copied());
    let commits_spread = Spread::of(per_checkout.iter().copied());
    let (p50, p99) = (percentile(&mut latencies, 0.50), percentile(&mut latencies, 0.99));

    let mut table = Table::new(
        &format!(
            "Checkout throughput: {customers} customers through the gateway vs pgbench on the same Postgres (median of {}, range)",
            plan.rounds
        ),
        &["measure", "value"],
    );
    table.row(vec!["confirmed checkouts per second".into(), rate.show(1)]);
    table.row(vec!["checkout latency p50 / p99 (all rounds)".into(), format!("{p50:.1} / {p99:.1} ms")]);
    table.row(vec!["checkouts not confirmed".into(), failed.to_string()]);
    table.row(vec!["Postgres commits per checkout (all services)".into(), commits_spread.show(1)]);
    table.row(vec![format!("pgbench TPC-B-like, {customers} clients, tps"), tps_spread.show(0)]);
    table.row(vec![
        "checkout commits/s as a share of pgbench tps".into(),
        format!("{:.2}", rate.median * commits_spread.median / tps_spread.median),
    ]);
    let json = serde_json::json!({
        "customers": customers,
        "checkouts_per_second": rate,
        "checkout_p50_ms": p50,
        "checkout_p99_ms": p99,
        "not_confirmed": failed,
        "commits_per_checkout": commits_spread,
        "pgbench_tps": tps_spread,
    });
    Ok((table, json))
}
