//! The compose stack at rest: what the whole testbed costs when nobody uses
//! it. Brings the stack up with `scripts/up.sh` (unless it is already up,
//! then it is measured as it is and left running), lets it settle, then
//! reads, over one window, every container's CPU from its cgroup and the
//! whole machine's busy time from `/proc/stat`. The machine's figure is
//! also taken over a window of the same length before the stack started
//! (when this run starts it), so that what the stack costs the engine —
//! dockerd, containerd, the shims and every `runc exec` of a healthcheck,
//! none of it inside a container's cgroup — is counted too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use crate::report::Table;

/// Time after `up` for start-up work, first scrapes and first probes to end.
const SETTLE: Duration = Duration::from_secs(45);

pub async fn run(window: Duration) -> anyhow::Result<(Table, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let already_up = !containers(&root)?.is_empty();
    let without_stack = if already_up {
        eprintln!("idle: the stack is already up: measured as it is, left running");
        None
    } else {
        eprintln!("idle: the machine without the stack, {} s", window.as_secs());
        Some(machine_busy_over(window).await?)
    };
    let _down = (!already_up).then(|| StackDown(root.clone()));
    if !already_up {
        eprintln!("idle: scripts/up.sh");
        let status = Command::new("bash").arg(root.join("scripts/up.sh")).status()?;
        anyhow::ensure!(status.success(), "scripts/up.sh failed");
        eprintln!("idle: settling for {} s", SETTLE.as_secs());
        tokio::time::sleep(SETTLE).await;
    }

    let containers = containers(&root)?;
    anyhow::ensure!(!containers.is_empty(), "no container of the stack is running");
    eprintln!("idle: {} containers at rest, {} s", containers.len(), window.as_secs());
    let before: Vec<u64> = containers.iter().map(|c| cgroup_cpu_ns(&c.id)).collect::<anyhow::Result<_>>()?;
    let machine_before = machine_busy_ticks()?;
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let elapsed = started.elapsed().as_secs_f64();
    let machine = percent_of_a_core_ticks(machine_busy_ticks()? - machine_before, elapsed);
    let after: Vec<u64> = containers.iter().map(|c| cgroup_cpu_ns(&c.id)).collect::<anyhow::Result<_>>()?;

    let mut rows: Vec<(String, f64)> = containers
        .iter()
        .zip(before.iter().zip(&after))
        .map(|(c, (b, a))| (c.service.clone(), (a - b) as f64 / 1e9 / elapsed * 100.0))
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let in_containers: f64 = rows.iter().map(|r| r.1).sum();

    let mut table = Table::new(
        &format!("The compose stack at rest: CPU over {} s, {} s after it was up", window.as_secs(), SETTLE.as_secs()),
        &["what", "CPU (% of one core)"],
    );
    for (service, cpu) in &rows {
        table.row(vec![service.clone(), format!("{cpu:.2}")]);
    }
    table.row(vec![format!("all {} containers (their cgroups)", rows.len()), format!("{in_containers:.2}")]);
    table.row(vec!["the machine, stack up (all processes)".into(), format!("{machine:.2}")]);
    if let Some(without) = without_stack {
        table.row(vec!["the machine, before the stack started".into(), format!("{without:.2}")]);
        table.row(vec!["the stack's cost to the machine (difference)".into(), format!("{:.2}", machine - without)]);
    }
    let json = json!({
        "window_seconds": elapsed,
        "settle_seconds": SETTLE.as_secs(),
        "containers": rows.iter().map(|(s, cpu)| json!({"service": s, "cpu_percent_of_core": cpu})).collect::<Vec<_>>(),
        "containers_total_percent_of_core": in_containers,
        "machine_busy_percent_of_core": machine,
        "machine_busy_without_stack_percent_of_core": without_stack,
    });
    Ok((table, json))
}

/// Stops the stack this run started, also when the suite fails.
struct StackDown(PathBuf);

impl Drop for StackDown {
    fn drop(&mut self) {
        eprintln!("idle: stopping the stack this run started");
        let script = format!("source '{}/scripts/lib/common.sh' && compose down --remove-orphans", self.0.display());
        let _ = Command::new("bash").args(["-c", &script]).status();
    }
}

struct Container {
    id: String,
    service: String,
}

/// The running containers of the stack's compose project.
fn containers(root: &Path) -> anyhow::Result<Vec<Container>> {
    let script = format!("source '{}/scripts/lib/common.sh' && echo \"$COMPOSE_PROJECT\"", root.display());
    let project = String::from_utf8(Command::new("bash").args(["-c", &script]).output()?.stdout)?.trim().to_owned();
    let output = Command::new("docker")
        .args(["ps", "--no-trunc", "--filter", &format!("label=com.docker.compose.project={project}")])
        .args(["--format", "{{.ID}} {{.Label \"com.docker.compose.service\"}}"])
        .output()
        .context("docker ps")?;
    anyhow::ensure!(output.status.success(), "docker ps: {}", String::from_utf8_lossy(&output.stderr));
    Ok(String::from_utf8(output.stdout)?
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(id, service)| Container { id: id.to_owned(), service: service.to_owned() })
        .collect())
}

/// A container's CPU time so far, in nanoseconds, from its cgroup (v1 with
/// the cgroupfs or systemd driver, or v2).
fn cgroup_cpu_ns(id: &str) -> anyhow::Result<u64> {
    let v1 = [
        format!("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage"),
        format!("/sys/fs/cgroup/cpu,cpuacct/docker/{id}/cpuacct.usage"),
        format!("/sys/fs/cgroup/cpuacct/system.slice/docker-{id}.scope/cpuacct.usage"),
        format!("/sys/fs/cgroup/cpu,cpuacct/system.slice/docker-{id}.scope/cpuacct.usage"),
    ];
    for path in &v1 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return Ok(text.trim().parse()?);
        }
    }
    let v2 = [
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat"),
        format!("/sys/fs/cgroup/docker/{id}/cpu.stat"),
    ];
    for path in &v2 {
        if let Ok(text) = std::fs::read_to_string(path) {
            let usec = text
                .lines()
                .find_map(|l| l.strip_prefix("usage_usec "))
                .with_context(|| format!("{path}: no usage_usec"))?;
            return Ok(usec.trim().parse::<u64>()? * 1000);
        }
    }
    anyhow::bail!("no CPU accounting found for container {id} (looked in {v1:?} and {v2:?})")
}

/// The machine's busy time since boot, in clock ticks: every CPU's time
/// that was neither idle nor waiting for I/O.
fn machine_busy_ticks() -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    busy_ticks(&stat)
}

fn busy_ticks(stat: &str) -> anyhow::Result<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu ")).context("/proc/stat: no cpu line")?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).map(str::parse).collect::<Result<_, _>>()?;
    // user nice system idle iowait irq softirq steal (guest is inside user).
    anyhow::ensure!(fields.len() >= 8, "/proc/stat: a short cpu line");
    Ok(fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7])
}

async fn machine_busy_over(window: Duration) -> anyhow::Result<f64> {
    let before = machine_busy_ticks()?;
    let started = Instant::now();
    tokio::time::sleep(window).await;
    Ok(percent_of_a_core_ticks(machine_busy_ticks()? - before, started.elapsed().as_secs_f64()))
}

/// Clock ticks over `seconds` as a percentage of one core (USER_HZ is 100
/// on every Linux architecture that Docker runs on).
fn percent_of_a_core_ticks(ticks: u64, seconds: f64) -> f64 {
    ticks as f64 / 100.0 / seconds * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_time_leaves_out_idle_and_io_wait() {
        let stat = "cpu  100 5 20 9000 300 1 2 3 0 0\ncpu0 50 2 10 4500 150 0 1 1 0 0\n";
        assert_eq!(busy_ticks(stat).unwrap(), 100 + 5 + 20 + 1 + 2 + 3);
        assert!(busy_ticks("intr 1 2 3\n").is_err());
    }

    #[test]
    fn ticks_become_a_share_of_one_core() {
        // 30 ticks (0.3 s of CPU) in 60 s is half a percent of a core.
        assert!((percent_of_a_core_ticks(30, 60.0) - 0.5).abs() < 1e-9);
    }
}
