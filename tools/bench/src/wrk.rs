//! Load from `wrk` (Debian's package): a fixed number of keep-alive
//! connections sending back to back, throughput and latency percentiles
//! read from its `--latency` report. A C load generator keeps the measuring
//! side cheap on a 2-core machine.

use std::process::Command;
use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Measured {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx/3xx answers and socket errors: a run with any is suspect.
    pub errors: u64,
}

pub struct Load {
    pub connections: u32,
    pub duration: Duration,
}

/// One run of `wrk` against `url` with `headers`.
pub fn run(load: &Load, url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Measured> {
    let mut command = Command::new("wrk");
    command
        .arg("-t1")
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration.as_secs().max(1)))
        .arg("--latency");
    for (name, value) in headers {
        command.arg("-H").arg(format!("{name}: {value}"));
    }
    let child = process_groups::isolate(command.arg(url))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("wrk: {e} (apt-get install wrk)"))?;
    // Stopped if the benchmark is interrupted while wrk runs.
    let _group = process_groups::Group::led_by(child.id());
    let output = child.wait_with_output()?;
    anyhow::ensure!(output.status.success(), "wrk failed: {}", String::from_utf8_lossy(&output.stderr));
    parse(&String::from_utf8_lossy(&output.stdout))
}

/// Reads `Requests/sec`, the 50 % and 99 % lines of the latency
/// distribution, `Non-2xx or 3xx responses` and `Socket errors`.
pub fn parse(report: &str) -> anyhow::Result<Measured> {
    let field = |prefix: &str| report.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix).map(str::trim));
    let requests_per_second =
        field("Requests/sec:").and_then(|v| v.parse().ok()).ok_or_else(|| anyhow::anyhow!("no rate in:\n{report}"))?;
    let percentile = |p: &str| field(p).and_then(millis).ok_or_else(|| anyhow::anyhow!("no {p} latency in:\n{report}"));
    let non_2xx: u64 = field("Non-2xx or 3xx responses:").and_then(|v| v.parse().ok()).unwrap_or(0);
    let socket_errors: u64 = field("Socket errors:")
        .map(|v| v.split(',').filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Ok(Measured {
        requests_per_second,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        errors: non_2xx + socket_errors,
    })
}

/// `812.00us`, `1.23ms`, `2.01s` → milliseconds.
fn millis(value: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    number.trim().parse::<f64>().ok().map(|n| n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 5s test @ http://127.0.0.1:8080/x
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  310.00us   9.00ms   90.00%
    Req/Sec    29.10k     1.20k   31.00k    80.00%
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    1.50ms
     99%    2.01s
  145000 requests in 5.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  29000.50
Transfer/sec:      4.00MB
";

    #[test]
    fn reads_rate_percentiles_and_errors() {
        let m = parse(REPORT).unwrap();
        assert_eq!(m.requests_per_second, 29000.5);
        assert!((m.p50_ms - 0.812).abs() < 1e-9);
        assert!((m.p99_ms - 2010.0).abs() < 1e-9);
        assert_eq!(m.errors, 7);
    }
}
