//! SIGTERM to the real `users` process: not ready at once, answering during
//! the shutdown delay, refusing after it, exit status 0 within the grace.

use std::process::Stdio;
use std::time::Duration;

use platform::test_util::{eventually, fresh_database};
use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn sigterm_makes_the_process_unready_then_exit_0_within_the_grace() {
    let database = fresh_database("users").await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_users"))
        .env_clear()
        .env("PORT", "0")
        .env("DATABASE_URL", database.url.expose_secret())
        .env("SHUTDOWN_DELAY_MS", "3000")
        .env("SHUTDOWN_GRACE_MS", "10000")
        .env("OTEL_TRACES_EXPORTER", "none")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("users starts");
    let address = listening_address(&mut child).await;
    let probe = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    assert_eq!(probe.get(format!("http://{address}/ready")).send().await.unwrap().status(), 200);

    let pid = child.id().expect("running").to_string();
    let sent = tokio::time::Instant::now();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().await.unwrap().success());
    eventually("/ready answers 503 during the delay", Duration::from_secs(2), || async {
        probe.get(format!("http://{address}/ready")).send().await.is_ok_and(|r| r.status() == 503)
    })
    .await;
    let status =
        tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("the process exited").unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(sent.elapsed() < Duration::from_secs(10), "exited within the grace: {:?}", sent.elapsed());
    let refused = probe.get(format!("http://{address}/health")).send().await;
    assert!(refused.is_err_and(|e| e.is_connect()), "nothing answers after exit");
}

/// The address from the "listening" log line (the port is picked at start).
async fn listening_address(child: &mut tokio::process::Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Ok(log) = serde_json::from_str::<serde_json::Value>(&line)
                && find(&log, "message").as_deref() == Some("listening")
                && let Some(address) = find(&log, "address")
            {
                return address;
            }
        }
        panic!("users exited before listening");
    })
    .await
    .expect("users listens within a minute");
    // Keep reading, so that a full pipe never blocks the service's logging.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    found
}

fn find(value: &serde_json::Value, key: &str) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            map.get(key).and_then(|v| v.as_str().map(str::to_owned)).or_else(|| map.values().find_map(|v| find(v, key)))
        }
        _ => None,
    }
}
