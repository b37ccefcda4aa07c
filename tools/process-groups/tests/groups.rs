//! A benchmark's children, and what they started, do not outlive it:
//! neither when the benchmark drops them nor when it is stopped by a signal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use process_groups::{Group, isolate, running};

/// A shell that starts two sleepers and waits for them: a leader with
/// children of its own, as nginx's master has workers.
fn shell_with_two_children() -> Command {
    let mut shell = Command::new("sh");
    shell.args(["-c", "sleep 300 & sleep 300 & wait"]).stdin(Stdio::null()).stdout(Stdio::null());
    shell
}

/// Waits (bounded) until `condition` holds.
fn until(what: &str, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: not within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn killing_only_the_leader_leaves_its_children_running() {
    // Why groups: what Child::kill did to nginx's master.
    let mut leader = isolate(&mut shell_with_two_children()).spawn().unwrap();
    let group = Group::led_by(leader.id());
    until("the leader and its two children run", || group.running().len() == 3);
    leader.kill().unwrap();
    leader.wait().unwrap();
    assert_eq!(group.running().len(), 2, "the two sleepers outlive their killed parent");
    drop(group);
}

#[test]
fn dropping_a_group_stops_its_leader_and_everything_it_started() {
    let mut leader = isolate(&mut shell_with_two_children()).spawn().unwrap();
    let group = Group::led_by(leader.id());
    until("the leader and its two children run", || group.running().len() == 3);
    let id = group.id();
    drop(group);
    leader.wait().unwrap();
    until("nothing of the group runs", || running(id).is_empty());
}

/// Set in the copy of this test binary that `a_signal_stops_...` starts.
const CHILD: &str = "PROCESS_GROUPS_SIGNALLED_CHILD";

#[test]
fn a_signal_stops_every_group_then_exits_with_the_signals_status() {
    for (signal, status) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let mut benchmark = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "a_benchmark_holding_a_group", "--include-ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let announced = BufReader::new(benchmark.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            // libtest writes "test <name> ... " on the same line first.
            .find_map(|line| line.rsplit_once("process group ").and_then(|(_, id)| id.trim().parse::<i32>().ok()))
            .expect("the benchmark names its group");
        assert_eq!(running(announced).len(), 3, "the group runs before the signal");
        kill(Pid::from_raw(i32::try_from(benchmark.id()).unwrap()), signal).unwrap();
        let exit = benchmark.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "after {signal}");
        until("nothing of the group runs after the benchmark exited", || running(announced).is_empty());
    }
}

/// The benchmark that `a_signal_stops_...` signals: installs the handler,
/// starts a group, names it, and waits to be stopped. Does nothing when run
/// on its own.
#[test]
#[ignore = "run by a_signal_stops_every_group_then_exits_with_the_signals_status"]
fn a_benchmark_holding_a_group() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        process_groups::stop_all_on_signal().unwrap();
        let mut leader = isolate(&mut shell_with_two_children()).spawn().unwrap();
        let group = Group::led_by(leader.id());
        until("the leader and its two children run", || group.running().len() == 3);
        println!("process group {}", group.id());
        tokio::time::sleep(Duration::from_secs(60)).await;
        let _ = leader.wait();
        unreachable!("stopped by the signal before this");
    });
}
