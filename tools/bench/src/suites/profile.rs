//! Profile: a load profile's own thresholds (latency and error rate, as
//! written in `loadtests/src/profiles.rs`), judged against the release
//! build of the whole shop. This is where the profiles' latency targets are
//! checked: the test suite runs the smoke profile too, but on a debug build
//! and with thresholds that only prove the machinery, since a timed
//! assertion in a test fails whenever the machine is busy.

use serde_json::{Value, json};

use crate::procs::release_binary;
use crate::report::Table;
use crate::stack::{ADMIN_EMAIL, ADMIN_PASSWORD, Stack};

pub async fn run(profile: &str) -> anyhow::Result<(Table, Value)> {
    let stack = Stack::start().await?;
    let dir = std::env::temp_dir().join(format!("bench-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    eprintln!("profile: shop-load --profile {profile} against the release stack");
    let load = process_groups::isolate(&mut tokio::process::Command::new(release_binary("shop-load")))
        .args(["--profile", profile, "--host", stack.gateway(), "-q"])
        .env("LOAD_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("LOAD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let _load_group = process_groups::Group::led_by(load.id().expect("a running child has a pid"));
    let output = load.wait_with_output().await?;
    anyhow::ensure!(
        output.status.code().is_some_and(|c| c <= 1),
        "shop-load failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run = std::fs::read_dir(dir.join("reports"))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("shop-load wrote no report"))??
        .path();
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(run.join("summary.json"))?)?;
    let mut table = Table::new(
        &format!("Load profile `{profile}` against the release build: its own thresholds"),
        &["threshold", "observed", "result"],
    );
    for threshold in summary["thresholds"].as_array().into_iter().flatten() {
        table.row(vec![
            threshold["rule"].as_str().unwrap_or_default().to_owned(),
            threshold["observed"].to_string(),
            if threshold["passed"] == true { "pass".to_owned() } else { "FAIL".to_owned() },
        ]);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((table, json!({ "profile": profile, "summary": summary })))
}
