//! The desk's load slot: which profiles `shop-load` offers, one load at a
//! time started with the users asked for, and stopped with nothing left
//! running. `shop-load` here is a script that answers `--list-profiles` as
//! the real one does and otherwise records its arguments and waits, so that
//! what the desk starts, and that it stops it, can be seen; the control
//! room's browser test drives the real one against the shop.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use chaos::desk::{Desk, Load, LoadSettings};
use chaos::runner::Settings;
use platform::test_util::eventually;
use serde_json::{Value, json};

const SCRIPT: &str = r#"#!/bin/sh
if [ "$1" = "--list-profiles" ]; then
  printf 'smoke    Does every scenario work at all?\n         plan 5,2s\naverage  A normal day.\n         plan 10,10s\n'
  exit 0
fi
echo "$$ $*" > "$(dirname "$0")/args"
exec sleep 300
"#;

#[tokio::test]
async fn the_desk_starts_one_load_with_the_users_asked_for_and_stops_it() {
    let dir = std::env::temp_dir().join(format!("chaos-desk-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("shop-load");
    std::fs::write(&binary, SCRIPT).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let load = Load::new(LoadSettings {
        binary,
        gateway: "http://gateway:8080".into(),
        web: Some("http://web:8080".into()),
        metrics_addr: Some("0.0.0.0:9646".into()),
        env: Vec::new(),
        workdir: dir.clone(),
    })
    .await;
    let desk = Desk::new(dir.join("no-experiments"), Settings::default(), load);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = desk.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::new();
    let view = || async { http.get(format!("{base}/load")).send().await.unwrap().json::<Value>().await.unwrap() };
    let post = |path: &str, body: Value| {
        let request = http.post(format!("{base}{path}")).json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };

    let names: Vec<Value> = view().await["profiles"].as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, [json!("smoke"), json!("average")]);
    assert_eq!(view().await["running"], false);
    let relayed = http.get(format!("{base}/load/metrics")).send().await.unwrap();
    assert_eq!(relayed.status(), 200, "Prometheus finds the desk there, load or not");
    assert_eq!(relayed.text().await.unwrap(), "", "no load, no series");

    let (status, body) = post("/load", json!({ "profile": "stress-me" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unknown_profile")), "{body}");
    let (status, body) = post("/load", json!({ "profile": "smoke", "users": 0 })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_users")), "{body}");

    let (status, body) = post("/load", json!({ "profile": "average", "users": 12 })).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = post("/load", json!({ "profile": "smoke" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("load_running")), "one load at a time");
    let args_file = dir.join("args");
    eventually("the load started", Duration::from_secs(10), || async { args_file.exists() }).await;
    let recorded = std::fs::read_to_string(&args_file).unwrap();
    let (pid, args) = recorded.trim().split_once(' ').unwrap();
    assert_eq!(
        args,
        "--profile average --no-thresholds --host http://gateway:8080 --web http://web:8080 \
         --test-plan 12,5s;12,3600s;0,1s --metrics-addr 0.0.0.0:9646"
    );
    let shown = view().await;
    assert_eq!((shown["running"].clone(), shown["last"]["users"].clone()), (json!(true), json!(12)));

    let (status, body) = post("/load/stop", Value::Null).await;
    assert_eq!((status, body["running"].clone()), (200, json!(false)), "{body}");
    let proc = std::path::Path::new("/proc").join(pid);
    assert!(!proc.exists(), "the load's process is gone, not left as a zombie");
    assert_eq!(post("/load/stop", Value::Null).await.0, 409, "nothing to stop");
    let _ = std::fs::remove_dir_all(&dir);
}
