//! The experiment's traffic: `shop-load` (loadtests/) as a child process,
//! running one of its profiles for as long as the experiment lasts. Killed
//! when dropped, so an aborted run leaves no load behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use super::experiment::Load;

pub struct LoadRun {
    child: Child,
    pub command: String,
}

/// `shop-load` next to this executable (both built by cargo into the same
/// directory), else from PATH.
pub fn default_binary() -> PathBuf {
    let sibling = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("shop-load")));
    sibling.filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from("shop-load"))
}

/// The arguments for `load`, lasting `total` (warm-up, faults, cool-down).
pub fn arguments(load: &Load, gateway: &str, total: Duration) -> Vec<String> {
    // Ramp up quickly, hold for the whole run, and stop with the runner.
    let users = load.users.unwrap_or(10);
    with_plan(load, gateway, format!("{users},5s;{users},{}s;0,1s", total.as_secs() + 5))
}

/// The arguments for a surge: `load` for `duration`, reaching its users at once.
pub fn surge_arguments(load: &Load, gateway: &str, duration: Duration) -> Vec<String> {
    let users = load.users.unwrap_or(50);
    with_plan(load, gateway, format!("{users},1s;{users},{}s;0,1s", duration.as_secs().max(1)))
}

fn with_plan(load: &Load, gateway: &str, plan: String) -> Vec<String> {
    // The faults are meant to break the profile's thresholds: they must not stop the load.
    let mut args = vec!["--profile".to_owned(), load.profile.clone(), "--no-thresholds".to_owned()];
    args.extend(["--host".to_owned(), gateway.to_owned(), "--test-plan".to_owned(), plan]);
    if let Some(scenarios) = &load.scenarios {
        args.extend(["--scenarios".to_owned(), scenarios.clone()]);
    }
    args.extend(load.args.iter().cloned());
    args
}

impl LoadRun {
    /// Starts `binary` with `args`, its output to `log`, in the folder that
    /// holds `log` (the run's report folder), so that what shop-load writes
    /// of its own lands beside the experiment's report wherever the runner
    /// was started from.
    pub fn start(binary: &PathBuf, args: &[String], log: PathBuf) -> anyhow::Result<Self> {
        let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let workdir = log.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // A relative path to the binary would mean another file from there.
        let binary = if binary.components().count() > 1 { std::path::absolute(binary)? } else { binary.clone() };
        let child = Command::new(&binary)
            .current_dir(workdir)
            .args(args)
            .stdout(file.try_clone()?)
            .stderr(file)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} (build it: cargo build --release -p loadtests)", binary.display()))?;
        Ok(Self { child, command: format!("{} {}", binary.display(), args.join(" ")) })
    }

    /// Whether it is still running (it should be, until the end).
    pub fn exited(&mut self) -> Option<i32> {
        self.child.try_wait().ok().flatten().map(|status| status.code().unwrap_or(-1))
    }

    /// Waits for the load to end by itself (a test's short command).
    #[cfg(test)]
    async fn stop_when_done(mut self) -> Option<i32> {
        self.child.wait().await.ok().and_then(|s| s.code())
    }

    /// Stops the load and returns its exit code.
    pub async fn stop(mut self) -> Option<i32> {
        if let Some(code) = self.exited() {
            return Some(code);
        }
        let _ = self.child.start_kill();
        self.child.wait().await.ok().and_then(|s| s.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(users: Option<u32>) -> Load {
        Load { profile: "smoke".into(), scenarios: Some("shopper".into()), users, args: vec!["--verbose".into()] }
    }

    #[test]
    fn the_experiment_load_lasts_the_whole_run_and_ignores_thresholds() {
        let args = arguments(&load(Some(8)), "http://127.0.0.1:8080", Duration::from_secs(100));
        let line = args.join(" ");
        assert!(line.starts_with("--profile smoke --no-thresholds --host http://127.0.0.1:8080"), "{line}");
        // Ramp in 5 s, then hold past the end: the runner stops it.
        assert!(line.contains("--test-plan 8,5s;8,105s;0,1s"), "{line}");
        assert!(line.ends_with("--scenarios shopper --verbose"), "{line}");
    }

    #[tokio::test]
    async fn the_load_runs_in_the_report_folder_whatever_the_runners_own() {
        let folder = std::env::temp_dir().join(format!("chaos-load-cwd-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let log = folder.join("load.log");
        // What shop-load writes relative to its working folder lands beside the report.
        let run =
            LoadRun::start(&PathBuf::from("sh"), &["-c".into(), "pwd; echo written > own.txt".into()], log.clone())
                .unwrap();
        assert_eq!(run.stop_when_done().await, Some(0));
        let folder = folder.canonicalize().unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), folder.to_str().unwrap());
        assert_eq!(std::fs::read_to_string(folder.join("own.txt")).unwrap(), "written\n");
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn a_surge_reaches_its_users_at_once_and_lasts_its_window() {
        let args = surge_arguments(&load(None), "http://gw", Duration::from_secs(30));
        let line = args.join(" ");
        assert!(line.contains("--no-thresholds"), "{line}");
        assert!(line.contains("--test-plan 50,1s;50,30s;0,1s"), "{line}");
    }
}
