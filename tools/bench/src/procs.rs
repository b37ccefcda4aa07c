//! The programs under test as child processes on 127.0.0.1: started from
//! `target/release`, waited for until ready, measured (RSS), and stopped
//! with everything they started (a process group each) on drop or when the
//! benchmark is interrupted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use process_groups::{Group, isolate};

/// `target/release/<name>`; the bench script builds them first. The
/// directory `bench` itself runs from comes first: it is that build's
/// output wherever the checkout has moved since (the source path baked in
/// at compile time may no longer exist).
pub fn release_binary(name: &str) -> PathBuf {
    let beside_us = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join(name)));
    if let Some(path) = beside_us.filter(|path| path.is_file()) {
        return path;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), PathBuf::from);
    target.join("release").join(name)
}

/// What to do when `program` cannot be started: ours (a path into
/// `target/release`) is built, a system program (found on `PATH`) installed.
fn missing_hint(program: &std::path::Path) -> String {
    if program.is_absolute() {
        "build it: scripts/build.sh, or cargo build --release".to_owned()
    } else {
        format!("install it: on Debian or Ubuntu, apt-get install {}", program.display())
    }
}

/// A free port on 127.0.0.1 (bound, read, released: good enough on a quiet machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

pub struct Process {
    pub name: String,
    pub url: String,
    group: Option<Group>,
    child: Child,
}

impl Process {
    /// Starts `program` with `env` (and `PORT`/`HOST` for a service), quiet.
    pub fn spawn(name: &str, program: PathBuf, args: &[&str], env: &HashMap<String, String>) -> anyhow::Result<Self> {
        let port = env.get("PORT").cloned().unwrap_or_default();
        let child = isolate(&mut Command::new(&program))
            .args(args)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("{}: {e} ({})", program.display(), missing_hint(&program)))?;
        let group = Group::led_by(child.id());
        Ok(Self { name: name.to_owned(), url: format!("http://127.0.0.1:{port}"), group: Some(group), child })
    }

    /// A shop service or simulator on a fresh port; `env` adds to the defaults.
    pub fn service(name: &str, binary: &str, extra: &[(&str, String)]) -> anyhow::Result<Self> {
        let mut env: HashMap<String, String> = [
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", free_port().to_string()),
            ("LOG_LEVEL", "warn".to_owned()),
            // No spans at all unless a suite asks for them.
            ("OTEL_SDK_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        Self::spawn(name, release_binary(binary), &[], &env)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `GET path` answers 2xx; returns how long that took from now.
    pub async fn wait_ready(&mut self, path: &str, within: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let client = reqwest::Client::builder().timeout(Duration::from_millis(500)).build()?;
        loop {
            if let Ok(response) = client.get(format!("{}{path}", self.url)).send().await
                && response.status().is_success()
            {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("{} exited ({status}) before it was ready", self.name);
            }
            anyhow::ensure!(started.elapsed() < within, "{} not ready within {within:?}", self.name);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // The whole group first (a master's workers too), then reap the leader.
        drop(self.group.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of process `pid` now, in MiB (`VmRSS`).
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .map_or(0.0, |kib: f64| kib / 1024.0)
}

/// Whose CPU time to count: one process (all its threads), or a process
/// and its children (nginx's master and workers).
#[derive(Debug, Clone, Copy)]
pub enum CpuOf {
    Process(u32),
    WithChildren(u32),
}

impl CpuOf {
    /// CPU time (user and system) used so far, in seconds; 0 once gone.
    pub fn seconds(self) -> f64 {
        let ticks_of = |pid| stat_fields(pid).map_or(0.0, |fields| ticks(&fields));
        match self {
            Self::Process(pid) => ticks_of(pid) / 100.0,
            Self::WithChildren(pid) => {
                let children: f64 = std::fs::read_dir("/proc")
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                    .filter_map(stat_fields)
                    .filter(|fields| fields.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(pid))
                    .map(|fields| ticks(&fields))
                    .sum();
                (ticks_of(pid) + children) / 100.0
            }
        }
    }
}

/// The fields of `/proc/<pid>/stat` after the command name (in
/// parentheses, may hold spaces): state first, then ppid ...
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    Some(after_name.split_whitespace().map(str::to_owned).collect())
}

/// utime + stime (fields 14 and 15 of the line), in USER_HZ ticks (100 on Linux).
fn ticks(fields: &[String]) -> f64 {
    fields.iter().skip(11).take(2).filter_map(|t| t.parse::<f64>().ok()).sum()
}
