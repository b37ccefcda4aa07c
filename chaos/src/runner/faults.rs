//! Putting faults in place and taking them away: toxics and disabled
//! proxies through chaos-proxy's control API, stopped, killed, partitioned
//! and squeezed containers through the Docker CLI (`containers.rs`), or on
//! Kubernetes stopped and killed Deployments through kubectl (`pods.rs`).
//! Everything put in place is written down first, so that
//! [`Faults::remove_all`] can undo it whatever happened in between.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::containers::{Attachment, Containers};
use super::experiment::{Action, Fault};
use super::pods::Pods;

/// What is in place now, to be undone.
#[derive(Debug, Clone, PartialEq)]
enum Applied {
    Toxic {
        proxy: String,
        toxic: String,
    },
    Disabled {
        proxy: String,
    },
    Stopped {
        container: String,
    },
    /// Cut off from these networks.
    Partitioned {
        container: String,
        attachments: Vec<Attachment>,
    },
    /// Its CPU limit before (`None`: it had none).
    Squeezed {
        container: String,
        before: Option<f64>,
    },
    /// A Deployment scaled to 0 that had this many replicas.
    ScaledDown {
        deployment: String,
        replicas: u32,
    },
}

pub struct Faults {
    proxy_api: String,
    /// The compose project's containers, which `container` names.
    containers: Containers,
    /// On Kubernetes: where stop and kill faults act instead.
    pods: Option<Pods>,
    http: reqwest::Client,
    applied: Vec<(String, Applied)>,
    /// Faults whose window is open on the proxy.
    announced: std::collections::BTreeSet<String>,
}

/// The name a runner's toxic gets on the proxy (so it never clashes with
/// one someone added by hand).
pub fn toxic_name(fault: &Fault) -> String {
    let slug: String =
        fault.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    format!("chaos-run-{slug}")
}

impl Faults {
    pub fn new(proxy_api: &str, project: &str) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a client");
        Self {
            proxy_api: proxy_api.trim_end_matches('/').to_owned(),
            containers: Containers::new(project),
            pods: None,
            http,
            applied: Vec::new(),
            announced: Default::default(),
        }
    }

    /// Stop and kill faults scale down the Deployments of `namespace`;
    /// partitions and CPU squeezes are Docker's only (refused up front).
    pub fn on_kubernetes(mut self, namespace: &str) -> Self {
        self.pods = Some(Pods::new(namespace));
        self
    }

    pub fn proxy_api(&self) -> &str {
        &self.proxy_api
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.proxy_api);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("chaos-proxy at {url}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Checks the proxies the experiment names exist, before anything runs.
    pub async fn check_targets(&self, faults: &[Fault]) -> anyhow::Result<()> {
        for fault in faults {
            if let Some(proxy) = &fault.proxy {
                self.call(reqwest::Method::GET, &format!("/proxies/{proxy}"), None)
                    .await
                    .with_context(|| format!("fault {:?} names proxy {proxy:?}", fault.name))?;
            }
            match (&fault.container, &self.pods) {
                (Some(container), None) => {
                    self.containers.id(container).await.with_context(|| format!("fault {:?}", fault.name))?;
                }
                (Some(deployment), Some(pods)) => {
                    if !matches!(fault.action, Some(Action::Stop | Action::Kill)) {
                        bail!(
                            "fault {:?}: only stop and kill act on Kubernetes (a proxy fault cuts a dependency off)",
                            fault.name
                        );
                    }
                    pods.replicas(deployment).await.with_context(|| format!("fault {:?}", fault.name))?;
                }
                (None, _) => {}
            }
        }
        Ok(())
    }

    pub async fn apply(&mut self, fault: &Fault) -> anyhow::Result<()> {
        match (&fault.proxy, &fault.toxic, &fault.container, fault.action) {
            (Some(proxy), Some(toxic), _, _) => {
                let name = toxic_name(fault);
                self.applied.push((fault.name.clone(), Applied::Toxic { proxy: proxy.clone(), toxic: name.clone() }));
                let mut body = json!({ "name": name, "type": toxic.kind, "attributes": toxic.attributes });
                if let Some(stream) = &toxic.stream {
                    body["stream"] = json!(stream);
                }
                if let Some(toxicity) = toxic.toxicity {
                    body["toxicity"] = json!(toxicity);
                }
                self.call(reqwest::Method::POST, &format!("/proxies/{proxy}/toxics"), Some(body)).await?;
            }
            (Some(proxy), None, _, Some(Action::Disable)) => {
                self.applied.push((fault.name.clone(), Applied::Disabled { proxy: proxy.clone() }));
                self.call(reqwest::Method::POST, &format!("/proxies/{proxy}"), Some(json!({ "enabled": false })))
                    .await?;
            }
            (_, _, Some(deployment), Some(action @ (Action::Stop | Action::Kill))) if self.pods.is_some() => {
                let pods = self.pods.as_ref().expect("checked");
                let replicas = pods.replicas(deployment).await?;
                self.applied
                    .push((fault.name.clone(), Applied::ScaledDown { deployment: deployment.clone(), replicas }));
                pods.take_down(deployment, action == Action::Kill).await?;
            }
            (_, _, Some(container), Some(action @ (Action::Stop | Action::Kill))) => {
                let id = self.containers.id(container).await?;
                self.applied.push((fault.name.clone(), Applied::Stopped { container: container.clone() }));
                self.containers.take_down(&id, action == Action::Kill).await?;
            }
            (_, _, Some(container), Some(Action::Partition)) => {
                let id = self.containers.id(container).await?;
                let attachments = self.containers.attachments(&id).await?;
                let applied = Applied::Partitioned { container: container.clone(), attachments: attachments.clone() };
                self.applied.push((fault.name.clone(), applied));
                self.containers.disconnect(&id, &attachments).await?;
            }
            (_, _, Some(container), Some(Action::Squeeze)) => {
                let id = self.containers.id(container).await?;
                let before = self.containers.cpus(&id).await?;
                self.applied.push((fault.name.clone(), Applied::Squeezed { container: container.clone(), before }));
                self.containers.set_cpus(&id, fault.cpus).await?;
            }
            // A surge is load, which the runner starts and stops itself.
            _ if fault.surge.is_some() => {}
            _ => bail!("fault {:?} has nothing to do", fault.name),
        }
        self.announce(fault).await;
        Ok(())
    }

    /// Opens the fault's window on the proxy (`chaos_fault_active`), which
    /// the dashboards shade. Only for the eye: a failure is logged, and the
    /// fault stays in place.
    async fn announce(&mut self, fault: &Fault) {
        let kind = match (&fault.toxic, fault.action) {
            (Some(toxic), _) => toxic.kind.clone(),
            (None, Some(action)) => format!("{action:?}").to_lowercase(),
            (None, None) => "surge".into(),
        };
        let window = json!({ "kind": kind, "target": fault.target() });
        let path = format!("/faults/{}", encode(&fault.name));
        match self.call(reqwest::Method::PUT, &path, Some(window)).await {
            Ok(_) => {
                self.announced.insert(fault.name.clone());
            }
            Err(error) => {
                tracing::warn!(fault = %fault.name, error = %format!("{error:#}"), "the fault's window could not be opened")
            }
        }
    }

    async fn close_window(&mut self, fault: &str) {
        if !self.announced.remove(fault) {
            return;
        }
        let path = format!("/faults/{}", encode(fault));
        if let Err(error) = self.call(reqwest::Method::DELETE, &path, None).await
            && !error.to_string().contains("404")
        {
            tracing::warn!(fault, error = %format!("{error:#}"), "the fault's window could not be closed");
        }
    }

    /// Undoes one fault (at the end of its window).
    pub async fn remove(&mut self, fault: &str) -> anyhow::Result<()> {
        let (mine, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.applied).into_iter().partition(|(f, _)| f == fault);
        self.applied = rest;
        let mut first_error = None;
        for (_, applied) in mine {
            if let Err(error) = self.undo(&applied).await {
                // Keep it on the list: remove_all tries again.
                self.applied.push((fault.to_owned(), applied));
                first_error.get_or_insert(error);
            }
        }
        if first_error.is_none() {
            self.close_window(fault).await;
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Undoes everything still in place; returns what it undid (or could not).
    pub async fn remove_all(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        let mut not_undone = std::collections::BTreeSet::new();
        for (fault, applied) in std::mem::take(&mut self.applied).into_iter().rev() {
            notes.push(match self.undo(&applied).await {
                Ok(()) => format!("{fault}: {} undone", describe(&applied)),
                Err(error) => {
                    not_undone.insert(fault.clone());
                    format!("{fault}: {} NOT undone: {error:#}", describe(&applied))
                }
            });
        }
        // A window closes with its fault (a surge has nothing to undo); the
        // window of a fault still in place stays open.
        for fault in self.announced.clone() {
            if !not_undone.contains(&fault) {
                self.close_window(&fault).await;
            }
        }
        notes
    }

    async fn undo(&self, applied: &Applied) -> anyhow::Result<()> {
        match applied {
            Applied::Toxic { proxy, toxic } => {
                match self.call(reqwest::Method::DELETE, &format!("/proxies/{proxy}/toxics/{toxic}"), None).await {
                    // Never added (the add failed) or already gone: nothing to undo.
                    Err(error) if error.to_string().contains("404") => Ok(()),
                    other => other.map(|_| ()),
                }
            }
            Applied::Disabled { proxy } => self
                .call(reqwest::Method::POST, &format!("/proxies/{proxy}"), Some(json!({ "enabled": true })))
                .await
                .map(|_| ()),
            Applied::Stopped { container } => self.containers.start(&self.containers.id(container).await?).await,
            Applied::Partitioned { container, attachments } => {
                self.containers.reconnect(&self.containers.id(container).await?, attachments).await
            }
            Applied::Squeezed { container, before } => {
                self.containers.set_cpus(&self.containers.id(container).await?, *before).await
            }
            Applied::ScaledDown { deployment, replicas } => match &self.pods {
                Some(pods) => pods.restore(deployment, *replicas).await,
                None => bail!("deployment {deployment} was scaled down, and no namespace is known to restore it"),
            },
        }
    }

    /// Faults injected so far by the toxic of `fault`, from the proxy's own
    /// counters (0 when none).
    pub async fn injected(&self, fault: &Fault) -> anyhow::Result<f64> {
        let (Some(proxy), Some(_)) = (&fault.proxy, &fault.toxic) else { return Ok(0.0) };
        let text = self.http.get(format!("{}/metrics", self.proxy_api)).send().await?.text().await?;
        let wanted_proxy = format!("proxy=\"{proxy}\"");
        let wanted_toxic = format!("toxic=\"{}\"", toxic_name(fault));
        Ok(text
            .lines()
            .filter(|l| l.starts_with("chaos_proxy_faults_injected_total{"))
            .filter(|l| l.contains(&wanted_proxy) && l.contains(&wanted_toxic))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    /// Whether the proxy accepts connections (for a `disable` fault's effect).
    pub async fn proxy_enabled(&self, proxy: &str) -> anyhow::Result<bool> {
        let view = self.call(reqwest::Method::GET, &format!("/proxies/{proxy}"), None).await?;
        Ok(view["enabled"].as_bool().unwrap_or(true))
    }

    /// What a container fault did to its container, seen from Docker:
    /// whether it acted, and in words.
    pub async fn container_effect(&self, fault: &Fault) -> anyhow::Result<(bool, String)> {
        let (Some(container), Some(action)) = (&fault.container, fault.action) else {
            bail!("fault {:?} names no container", fault.name);
        };
        if let Some(pods) = &self.pods {
            return Ok(match pods.ready(container).await? {
                0 => (true, format!("deployment {container}: no pod ready")),
                ready => (false, format!("deployment {container}: {ready} pods still ready")),
            });
        }
        let id = self.containers.id(container).await?;
        Ok(match action {
            Action::Partition => {
                let networks: Vec<String> =
                    self.containers.attachments(&id).await?.into_iter().map(|a| a.network).collect();
                match networks.is_empty() {
                    true => (true, format!("{container} cut off from every network")),
                    false => (false, format!("{container} still on {}", networks.join(", "))),
                }
            }
            Action::Squeeze => {
                let cpus = self.containers.cpus(&id).await?;
                let acted = cpus.zip(fault.cpus).is_some_and(|(now, wanted)| (now - wanted).abs() < 1e-3);
                (acted, format!("{container} limited to {} CPUs", cpus.map_or("unlimited".into(), |c| c.to_string())))
            }
            Action::Stop | Action::Kill | Action::Disable => match self.containers.running(&id).await? {
                true => (false, format!("{container} still running")),
                false => (true, format!("{container} down")),
            },
        })
    }
}

/// A fault's name as one path segment.
fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn describe(applied: &Applied) -> String {
    match applied {
        Applied::Toxic { proxy, toxic } => format!("toxic {toxic} on proxy {proxy}"),
        Applied::Disabled { proxy } => format!("proxy {proxy} disabled"),
        Applied::Stopped { container } => format!("container {container} stopped"),
        Applied::Partitioned { container, .. } => format!("container {container} cut off from its networks"),
        Applied::Squeezed { container, .. } => format!("container {container}'s CPU squeezed"),
        Applied::ScaledDown { deployment, replicas } => {
            format!("deployment {deployment} scaled to 0 (from {replicas} replicas)")
        }
    }
}
