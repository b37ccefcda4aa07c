//! The load generator on demand: `shop-load` running one named profile as
//! a child of the desk until it ends or is stopped. Its users and rates are
//! on its own `/metrics` (Prometheus scrapes it, the control room reads
//! them there); the desk knows what it started and whether it still runs.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

/// A profile `shop-load --list-profiles` offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub name: String,
    pub purpose: String,
}

/// What to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadRequest {
    pub profile: String,
    /// Hold this many users until stopped, instead of the profile's own plan.
    pub users: Option<u32>,
}

/// The load as the desk shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LoadView {
    pub profiles: Vec<Profile>,
    pub running: bool,
    /// The last load started, running or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Started>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub profile: String,
    pub users: Option<u32>,
    pub started_at: String,
    pub command: String,
    /// How it ended, once it did (stopped from the desk: killed, no code).
    pub exit_code: Option<i32>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no profile {0:?}: the profiles are {1}")]
    UnknownProfile(String, String),
    #[error("users must be between 1 and {MAX_USERS}")]
    Users,
    #[error("load is already running ({0}): stop it first")]
    Busy(String),
    #[error("no load is running")]
    NothingRunning,
    #[error("starting {0}: {1}")]
    Spawn(String, std::io::Error),
}

/// More would be a load test of this machine, not of the shop.
pub const MAX_USERS: u32 = 500;

/// How the desk runs `shop-load`.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    pub binary: PathBuf,
    /// The gateway, as `shop-load` reaches it.
    pub gateway: String,
    /// The storefront, if visitors should browse it too.
    pub web: Option<String>,
    /// Where the load serves its live metrics for Prometheus.
    pub metrics_addr: Option<String>,
    /// Environment of its own beside the desk's (the admin account it seeds
    /// the catalogue with: `LOAD_ADMIN_EMAIL`, `LOAD_ADMIN_PASSWORD`).
    pub env: Vec<(String, String)>,
    /// Where it runs, so that its own report (`reports/<profile>-<time>`)
    /// lands there.
    pub workdir: PathBuf,
}

#[derive(Default)]
struct State {
    child: Option<Child>,
    last: Option<Started>,
}

/// The desk's one load slot.
#[derive(Clone)]
pub struct Load {
    settings: Arc<LoadSettings>,
    profiles: Arc<Vec<Profile>>,
    state: Arc<Mutex<State>>,
    http: reqwest::Client,
}

impl Load {
    /// Asks `shop-load` which profiles it has (none when it cannot run:
    /// the desk then offers no load).
    pub async fn new(settings: LoadSettings) -> Self {
        let profiles = match Command::new(&settings.binary).arg("--list-profiles").output().await {
            Ok(out) if out.status.success() => parse_profiles(&String::from_utf8_lossy(&out.stdout)),
            Ok(out) => {
                tracing::warn!(binary = %settings.binary.display(), status = %out.status, "shop-load --list-profiles failed: no load on offer");
                Vec::new()
            }
            Err(error) => {
                tracing::warn!(binary = %settings.binary.display(), "shop-load cannot run ({error}): no load on offer");
                Vec::new()
            }
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("an HTTP client");
        Self { settings: Arc::new(settings), profiles: Arc::new(profiles), state: Arc::default(), http }
    }

    /// The running load's live metrics, relayed: Prometheus scrapes the
    /// desk (always there) rather than the load (there only while it runs,
    /// a target down the rest of the time). Empty while none runs or while
    /// it starts.
    pub async fn metrics(&self) -> String {
        let running = {
            let mut state = self.state.lock().await;
            reap(&mut state);
            state.child.is_some()
        };
        let Some(address) = self.settings.metrics_addr.as_deref().filter(|_| running) else { return String::new() };
        // Served on every interface or on one: asked on the loopback.
        let port = address.rsplit_once(':').map_or(address, |(_, port)| port);
        let url = format!("http://127.0.0.1:{port}/metrics");
        match self.http.get(&url).send().await {
            Ok(response) if response.status().is_success() => response.text().await.unwrap_or_default(),
            _ => String::new(),
        }
    }

    pub async fn view(&self) -> LoadView {
        let mut state = self.state.lock().await;
        reap(&mut state);
        LoadView { profiles: self.profiles.to_vec(), running: state.child.is_some(), last: state.last.clone() }
    }

    pub async fn start(&self, request: LoadRequest) -> Result<Started, LoadError> {
        if !self.profiles.iter().any(|p| p.name == request.profile) {
            let names = self.profiles.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
            return Err(LoadError::UnknownProfile(request.profile, names));
        }
        if request.users.is_some_and(|users| users == 0 || users > MAX_USERS) {
            return Err(LoadError::Users);
        }
        let mut state = self.state.lock().await;
        reap(&mut state);
        if state.child.is_some() {
            let profile = state.last.as_ref().map_or("?", |l| l.profile.as_str()).to_owned();
            return Err(LoadError::Busy(profile));
        }
        let args = arguments(&self.settings, &request);
        let command = format!("{} {}", self.settings.binary.display(), args.join(" "));
        let _ = std::fs::create_dir_all(&self.settings.workdir);
        let child = Command::new(&self.settings.binary)
            .args(&args)
            .current_dir(&self.settings.workdir)
            .envs(self.settings.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| LoadError::Spawn(self.settings.binary.display().to_string(), error))?;
        tracing::info!(%command, "load started");
        let started = Started {
            profile: request.profile,
            users: request.users,
            started_at: chrono::Utc::now().to_rfc3339(),
            command,
            exit_code: None,
        };
        state.child = Some(child);
        state.last = Some(started.clone());
        Ok(started)
    }

    /// Stops the load and waits for it to exit (no zombie left).
    pub async fn stop(&self) -> Result<(), LoadError> {
        let mut state = self.state.lock().await;
        reap(&mut state);
        let mut child = state.child.take().ok_or(LoadError::NothingRunning)?;
        let _ = child.start_kill();
        let status = child.wait().await.ok();
        if let Some(last) = &mut state.last {
            last.exit_code = status.and_then(|s| s.code());
        }
        tracing::info!("load stopped");
        Ok(())
    }
}

/// Notes the exit of a load that ended by itself.
fn reap(state: &mut State) {
    let Some(child) = state.child.as_mut() else { return };
    if let Ok(Some(status)) = child.try_wait() {
        state.child = None;
        if let Some(last) = &mut state.last {
            last.exit_code = status.code();
        }
    }
}

/// `shop-load`'s arguments: the profile's own plan, or `users` held until
/// stopped (an hour at most); thresholds off, since faults are meant to
/// break them.
pub fn arguments(settings: &LoadSettings, request: &LoadRequest) -> Vec<String> {
    let mut args = vec!["--profile".to_owned(), request.profile.clone(), "--no-thresholds".to_owned()];
    args.extend(["--host".to_owned(), settings.gateway.clone()]);
    if let Some(web) = &settings.web {
        args.extend(["--web".to_owned(), web.clone()]);
    }
    if let Some(users) = request.users {
        args.extend(["--test-plan".to_owned(), format!("{users},5s;{users},3600s;0,1s")]);
    }
    if let Some(address) = &settings.metrics_addr {
        args.extend(["--metrics-addr".to_owned(), address.clone()]);
    }
    args
}

/// The profiles in `shop-load --list-profiles`' output: a line per profile
/// (`name purpose`), then indented detail lines.
pub fn parse_profiles(text: &str) -> Vec<Profile> {
    text.lines()
        .filter(|line| !line.starts_with(char::is_whitespace) && !line.trim().is_empty())
        .filter_map(|line| {
            let (name, purpose) = line.split_once(char::is_whitespace)?;
            Some(Profile { name: name.to_owned(), purpose: purpose.trim().to_owned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_read_from_shop_loads_listing() {
        let listing = "smoke    Does every scenario work at all? Seconds, a few users.\n         plan 5,2s;5,12s;0,1s; thresholds error-rate<1%\naverage  A normal day.\n         plan 10,10s\n";
        assert_eq!(
            parse_profiles(listing),
            vec![
                Profile {
                    name: "smoke".into(),
                    purpose: "Does every scenario work at all? Seconds, a few users.".into()
                },
                Profile { name: "average".into(), purpose: "A normal day.".into() },
            ]
        );
    }

    #[test]
    fn users_are_held_until_stopped_and_metrics_served_where_asked() {
        let settings = LoadSettings {
            binary: "shop-load".into(),
            gateway: "http://gateway:8080".into(),
            web: Some("http://web:8080".into()),
            metrics_addr: Some("0.0.0.0:9646".into()),
            env: Vec::new(),
            workdir: "/tmp".into(),
        };
        let line = arguments(&settings, &LoadRequest { profile: "average".into(), users: Some(20) }).join(" ");
        assert_eq!(
            line,
            "--profile average --no-thresholds --host http://gateway:8080 --web http://web:8080 \
             --test-plan 20,5s;20,3600s;0,1s --metrics-addr 0.0.0.0:9646"
        );
        let own_plan = arguments(&settings, &LoadRequest { profile: "smoke".into(), users: None }).join(" ");
        assert!(!own_plan.contains("--test-plan"), "{own_plan}");
    }
}
