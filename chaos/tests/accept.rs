//! The proxy out of file descriptors: it pauses between failed accepts
//! instead of spinning a core, and serves the waiting client once
//! descriptors are free again.
//!
//! A test binary of its own: it fills this process's descriptor table, which
//! would break any test running beside it.

mod common;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use common::*;
use tokio::net::TcpSocket;

/// CPU time this process has used, all threads, user and system
/// (`/proc/self/stat` counts it in ticks of 1/100 s). The file is opened
/// before the table is full and read again from its start each time.
fn cpu_time(stat: &File) -> Duration {
    let mut buf = [0u8; 1024];
    let n = stat.read_at(&mut buf, 0).unwrap();
    let stat = std::str::from_utf8(&buf[..n]).unwrap();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Opens /dev/null until the process may open no more file.
fn fill_descriptor_table() -> Vec<File> {
    // A small table first: filling a large one would take long for nothing.
    let status = std::process::Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string(), "--nofile=512:"])
        .status()
        .expect("prlimit (util-linux)");
    assert!(status.success());
    let mut files = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(error) => {
                assert_eq!(error.raw_os_error(), Some(EMFILE), "{error}");
                return files;
            }
        }
    }
}

/// "Too many open files".
const EMFILE: i32 = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_proxy_pauses_and_then_serves_the_waiting_client() {
    let server = ProxyServer::start().await;
    let proxy = server.proxy("echo", echo_server().await).await;
    // The client's socket is made before the table is full and connected
    // after: the kernel completes the handshake, and the connection waits in
    // the backlog for an accept that has no descriptor to give it.
    let socket = TcpSocket::new_v4().unwrap();
    let stat = File::open("/proc/self/stat").unwrap();
    let files = fill_descriptor_table();
    let mut waiting = socket.connect(proxy).await.unwrap();

    let before = cpu_time(&stat);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_time(&stat) - before;
    // A loop retrying the failed accept at once uses a whole core; pausing,
    // a few milliseconds.
    assert!(used < Duration::from_millis(100), "{used:?} of CPU in 1 s while every accept failed");

    drop(files);
    tokio::time::timeout(Duration::from_secs(10), round_trip(&mut waiting, b"served at last"))
        .await
        .expect("the waiting client is served once descriptors are free");
    let errors = server.metric("chaos_proxy_accept_errors_total", &["proxy=\"echo\""]).await;
    assert!(errors >= 1.0, "failed accepts are counted: {errors}");
}
