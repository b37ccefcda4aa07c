//! The runner's container faults against real containers: a partition
//! that cuts a container off (its peer can no longer reach it by name) and
//! is undone (reached again, by the same name), and a CPU squeeze that the
//! kernel enforces (the container's cgroup is throttled) and is undone.
//!
//! The containers carry the labels compose puts on its own, under a
//! project of this test's, from the locally built Debian image.

use std::time::Duration;

use chaos::runner::experiment::Fault;
use chaos::runner::faults::Faults;

const IMAGE: &str = "testbed/debian:bookworm";

/// A compose-like project: a network and labelled containers, removed on drop.
struct Project {
    name: String,
    containers: Vec<String>,
}

impl Project {
    fn new(test: &str) -> Self {
        let name = format!("chaos-{test}-{}", std::process::id());
        docker(&["network", "create", &name]);
        Self { name, containers: Vec::new() }
    }

    /// Starts `service` on the project's network, running `command`.
    fn run(&mut self, service: &str, command: &str) -> String {
        let project = format!("com.docker.compose.project={}", self.name);
        let label = format!("com.docker.compose.service={service}");
        let id = docker(&[
            "run",
            "-d",
            "--init",
            "--label",
            &project,
            "--label",
            &label,
            "--network",
            &self.name,
            "--network-alias",
            service,
            IMAGE,
            "bash",
            "-c",
            command,
        ]);
        self.containers.push(id.clone());
        id
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        for id in &self.containers {
            let _ = std::process::Command::new("docker").args(["rm", "-f", "-v", id]).output();
        }
        let _ = std::process::Command::new("docker").args(["network", "rm", &self.name]).output();
    }
}

fn docker(args: &[&str]) -> String {
    let output = std::process::Command::new("docker").args(args).output().expect("docker");
    assert!(output.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `docker exec`, with its success and what it printed.
fn exec(id: &str, script: &str) -> (bool, String) {
    let output = std::process::Command::new("docker").args(["exec", id, "bash", "-c", script]).output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn fault(text: &str) -> Fault {
    toml::from_str(&format!("name = \"under test\"\nat = \"0s\"\nfor = \"10s\"\n{text}")).unwrap()
}

/// Retries `check` (a second apart, 30 at most) until it holds.
fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..30 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("{what}: not within 30 s");
}

#[tokio::test]
async fn a_partition_cuts_the_container_off_and_its_undo_lets_it_be_reached_by_name_again() {
    let mut project = Project::new("partition");
    // A server that answers "pong" on port 7000, and a client beside it.
    project.run(
        "server",
        "exec perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 7000, Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { print $c \"pong\\n\"; close $c }'",
    );
    let client = project.run("client", "exec sleep infinity");
    let ask = || exec(&client, "exec 3<>/dev/tcp/server/7000 && timeout 5 head -n1 <&3");
    eventually("the client reaches the server", || ask() == (true, "pong".into()));

    let mut faults = Faults::new("http://127.0.0.1:1", &project.name);
    let partition = fault("container = \"server\"\naction = \"partition\"");
    faults.apply(&partition).await.unwrap();
    let (acted, effect) = faults.container_effect(&partition).await.unwrap();
    assert!(acted, "{effect}");
    let (reached, answer) = ask();
    assert!(!reached, "the server is cut off, yet answered {answer:?}");

    faults.remove("under test").await.unwrap();
    eventually("the server is reached by its name again", || ask() == (true, "pong".into()));
    let (acted, effect) = faults.container_effect(&partition).await.unwrap();
    assert!(!acted, "back on its network: {effect}");
}

#[tokio::test]
async fn a_cpu_squeeze_is_enforced_by_the_kernel_and_its_undo_lifts_it() {
    let mut project = Project::new("squeeze");
    let busy = project.run("busy", "while :; do :; done");
    // The cgroup's throttling count, v1 or v2.
    let throttled = || {
        let (_, text) = exec(&busy, "cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.stat");
        text.lines().find_map(|l| l.strip_prefix("nr_throttled ")).and_then(|n| n.parse::<u64>().ok()).unwrap()
    };
    assert_eq!(throttled(), 0, "no limit, no throttling");

    let mut faults = Faults::new("http://127.0.0.1:1", &project.name);
    let squeeze = fault("container = \"busy\"\naction = \"squeeze\"\ncpus = 0.1");
    faults.apply(&squeeze).await.unwrap();
    let (acted, effect) = faults.container_effect(&squeeze).await.unwrap();
    assert!(acted, "{effect}");
    // A busy loop held to a tenth of a CPU is throttled in every 100 ms period.
    eventually("the kernel throttles the busy loop", || throttled() >= 5);

    faults.remove("under test").await.unwrap();
    let (acted, effect) = faults.container_effect(&squeeze).await.unwrap();
    assert!(!acted, "the limit is lifted: {effect}");
    let host_cpus = docker(&["info", "--format", "{{.NCPU}}"]);
    assert!(effect.ends_with(&format!("limited to {host_cpus} CPUs")), "as large as the host: {effect}");
}

/// On Kubernetes only stop and kill act (through the Deployment); a
/// partition or a squeeze is refused before anything runs, not silently
/// skipped.
#[tokio::test]
async fn on_kubernetes_a_partition_or_a_squeeze_is_refused_up_front() {
    let faults = Faults::new("http://127.0.0.1:1", "unused").on_kubernetes("shop");
    for action in ["action = \"partition\"", "action = \"squeeze\"\ncpus = 0.5"] {
        let error = faults.check_targets(&[fault(&format!("container = \"payments\"\n{action}"))]).await.unwrap_err();
        assert!(format!("{error:#}").contains("only stop and kill act on Kubernetes"), "{error:#}");
    }
}
