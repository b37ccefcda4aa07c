//! What the load tests share: a scratch directory per run, and the
//! latencies goose's JSON request log holds (open-loop runs write the same).

use std::path::{Path, PathBuf};

pub fn workdir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shop-load-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every latency in the request log at `path`, in seconds, to the microsecond.
#[allow(dead_code)] // not every test binary reads a request log
pub fn logged_latencies(path: &Path) -> Vec<f64> {
    let log = std::fs::read_to_string(path).unwrap();
    log.lines()
        .map(|line| {
            let request: serde_json::Value = serde_json::from_str(line).unwrap();
            let micros = request["response_time"].as_u64().unwrap() * 1_000
                + request["response_time_fraction_us"].as_u64().unwrap();
            micros as f64 / 1e6
        })
        .collect()
}
