//! Child processes that leave nothing behind.
//!
//! Killing a child kills one process. nginx's master has workers, a shell
//! has what it started: kill the master with SIGKILL and its workers live
//! on, reparented to PID 1 (`scripts/bench.sh gateway` once left two nginx
//! workers running that way). And a benchmark stopped with Ctrl-C never runs
//! its destructors at all.
//!
//! So every child a benchmark starts is the leader of a process group of
//! its own ([`isolate`] before spawning), watched by a [`Group`]: dropping
//! it stops the whole group (SIGTERM, a grace, then SIGKILL), and
//! [`stop_all_on_signal`] stops every group still alive when the benchmark
//! gets SIGINT or SIGTERM, then exits with the signal's status.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How long a group has to stop on SIGTERM before it gets SIGKILL.
pub const GRACE: Duration = Duration::from_secs(3);

/// The groups started and not yet stopped: what a signal must stop.
static LIVE: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Makes the command's process the leader of a new process group, so that
/// it and everything it starts can be stopped as one. Works for
/// `std::process::Command` and `tokio::process::Command` alike.
pub fn isolate<C: Isolate>(command: &mut C) -> &mut C {
    command.new_process_group();
    command
}

/// A command that can start a new process group.
pub trait Isolate {
    fn new_process_group(&mut self);
}

impl Isolate for std::process::Command {
    fn new_process_group(&mut self) {
        std::os::unix::process::CommandExt::process_group(self, 0);
    }
}

impl Isolate for tokio::process::Command {
    fn new_process_group(&mut self) {
        self.process_group(0);
    }
}

/// The process group led by a child started after [`isolate`]; stopped,
/// all of it, when dropped.
#[derive(Debug)]
pub struct Group {
    id: i32,
}

impl Group {
    /// Watches the group of the child with this pid (its group id, since
    /// the child leads it).
    pub fn led_by(pid: u32) -> Self {
        let id = i32::try_from(pid).expect("a pid fits an i32");
        LIVE.lock().expect("the live groups").insert(id);
        Self { id }
    }

    pub fn id(&self) -> i32 {
        self.id
    }

    /// The group's processes that are still running (zombies, which only
    /// wait for their parent to read their status, are not counted).
    pub fn running(&self) -> Vec<i32> {
        running(self.id)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        stop(self.id, GRACE);
        LIVE.lock().expect("the live groups").remove(&self.id);
    }
}

/// SIGTERM to every process of the group, then SIGKILL to what is still
/// running after `grace`.
fn stop(group: i32, grace: Duration) {
    // ESRCH: the group is gone already; nothing else can fail for our own children.
    if killpg(Pid::from_raw(group), Signal::SIGTERM).is_err() {
        return;
    }
    let started = Instant::now();
    while !running(group).is_empty() && started.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
}

/// Stops every group still alive. What [`stop_all_on_signal`] does before
/// exiting; also for a benchmark that ends by another path than returning.
pub fn stop_all() {
    let groups: Vec<i32> = LIVE.lock().expect("the live groups").iter().copied().collect();
    for &group in &groups {
        let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
    }
    let started = Instant::now();
    while groups.iter().any(|&g| !running(g).is_empty()) && started.elapsed() < GRACE {
        std::thread::sleep(Duration::from_millis(10));
    }
    for &group in &groups {
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
    }
    LIVE.lock().expect("the live groups").clear();
}

/// On SIGINT (Ctrl-C) or SIGTERM: stops every live group, then exits with
/// 128 + the signal's number, as a shell reports a process killed by it.
/// Call once, inside the Tokio runtime, before starting children.
pub fn stop_all_on_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        let code = tokio::select! {
            _ = interrupt.recv() => 128 + Signal::SIGINT as i32,
            _ = terminate.recv() => 128 + Signal::SIGTERM as i32,
        };
        tokio::task::spawn_blocking(stop_all).await.ok();
        std::process::exit(code);
    });
    Ok(())
}

/// The running (not zombie) processes whose process group is `group`, from
/// `/proc/<pid>/stat`: "pid (comm) state ppid pgrp ...", where comm may
/// hold spaces and parentheses, so the fields are read after the last ')'.
pub fn running(group: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            let Some((_, fields)) = stat.rsplit_once(')') else { return false };
            let mut fields = fields.split_whitespace();
            let state = fields.next();
            let pgrp = fields.nth(1).and_then(|f| f.parse::<i32>().ok());
            state != Some("Z") && state != Some("X") && pgrp == Some(group)
        })
        .collect()
}
