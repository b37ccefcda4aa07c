//! Footprint: the whole shop as processes, each service's start-up time
//! (spawn to ready, its database already up), its RSS idle, and its RSS
//! under the average load profile (`shop-load`, the profile's users and
//! think times with a shorter steady phase), sampled every second.

use std::time::Duration;

use serde_json::{Value, json};

use crate::procs::{release_binary, rss_mib};
use crate::report::Table;
use crate::stack::{ADMIN_EMAIL, ADMIN_PASSWORD, Stack};

pub async fn run(load_seconds: u64) -> anyhow::Result<(Table, Value)> {
    let stack = Stack::start().await?;
    let services: Vec<_> =
        stack.shop_services().map(|s| (s.process.name.clone(), s.process.pid(), s.ready_after)).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle: Vec<f64> = services.iter().map(|(_, pid, _)| rss_mib(*pid)).collect();

    let plan = format!("20,30s;20,{load_seconds}s;0,5s");
    eprintln!("footprint: shop-load --profile average --test-plan {plan}");
    let mut load = process_groups::isolate(&mut tokio::process::Command::new(release_binary("shop-load")))
        .args(["--profile", "average", "--no-thresholds", "--host", stack.gateway(), "--test-plan", &plan, "-q"])
        .env("LOAD_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LOAD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let _load_group = process_groups::Group::led_by(load.id().expect("a running child has a pid"));
    let mut peak = vec![0.0f64; services.len()];
    let mut peak_total = 0.0f64;
    let mut samples = 0;
    loop {
        tokio::select! {
            status = load.wait() => {
                anyhow::ensure!(status?.code().is_some_and(|c| c <= 1), "shop-load failed");
                break;
            }
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                let now: Vec<f64> = services.iter().map(|(_, pid, _)| rss_mib(*pid)).collect();
                for (p, n) in peak.iter_mut().zip(&now) {
                    *p = p.max(*n);
                }
                peak_total = peak_total.max(now.iter().sum());
                samples += 1;
            }
        }
    }

    let mut table = Table::new(
        &format!(
            "Footprint: start-up to ready, RSS idle and under the average profile ({load_seconds} s steady, {samples} samples)"
        ),
        &["service", "ready after (ms)", "RSS idle (MiB)", "RSS peak under load (MiB)"],
    );
    for (((name, _, ready), idle), peak) in services.iter().zip(&idle).zip(&peak) {
        table.row(vec![
            name.clone(),
            format!("{:.0}", ready.as_secs_f64() * 1000.0),
            format!("{idle:.1}"),
            format!("{peak:.1}"),
        ]);
    }
    let idle_total: f64 = idle.iter().sum();
    table.row(vec![
        "all eight".into(),
        format!("max {:.0}", services.iter().map(|s| s.2.as_secs_f64() * 1000.0).fold(0.0, f64::max)),
        format!("{idle_total:.1}"),
        format!("{peak_total:.1} (peak of the sum)"),
    ]);
    let json = json!({
        "load_seconds": load_seconds,
        "services": services.iter().zip(&idle).zip(&peak).map(|(((name, _, ready), idle), peak)| json!({
            "name": name, "ready_ms": ready.as_secs_f64() * 1000.0, "rss_idle_mib": idle, "rss_peak_mib": peak,
        })).collect::<Vec<_>>(),
        "rss_idle_total_mib": idle_total,
        "rss_peak_total_mib": peak_total,
    });
    Ok((table, json))
}
