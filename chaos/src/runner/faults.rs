//! Putting faults in place and taking them away: toxics and disabled
//! proxies through chaos-proxy's control API, stopped containers through
//! the Docker CLI. Everything put in place is written down first, so that
//! [`Faults::remove_all`] can undo it whatever happened in between.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::experiment::{Action, Fault};

/// What is in place now, to be undone.
#[derive(Debug, Clone, PartialEq)]
enum Applied {
    Toxic { proxy: String, toxic: String },
    Disabled { proxy: String },
    Stopped { container: String },
}

pub struct Faults {
    proxy_api: String,
    /// The compose project whose containers `container` names.
    project: String,
    http: reqwest::Client,
    applied: Vec<(String, Applied)>,
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
            project: project.to_owned(),
            http,
            applied: Vec::new(),
        }
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
            if let Some(container) = &fault.container {
                self.container_id(container).await.with_context(|| format!("fault {:?}", fault.name))?;
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
            (_, _, Some(container), Some(action @ (Action::Stop | Action::Kill))) => {
                let id = self.container_id(container).await?;
                self.applied.push((fault.name.clone(), Applied::Stopped { container: container.clone() }));
                let verb = if action == Action::Kill { "kill" } else { "stop" };
                docker(&[verb, &id]).await?;
            }
            // A surge is load, which the runner starts and stops itself.
            _ if fault.surge.is_some() => {}
            _ => bail!("fault {:?} has nothing to do", fault.name),
        }
        Ok(())
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
        first_error.map_or(Ok(()), Err)
    }

    /// Undoes everything still in place; returns what it undid (or could not).
    pub async fn remove_all(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        for (fault, applied) in std::mem::take(&mut self.applied).into_iter().rev() {
            let outcome = self.undo(&applied).await;
            notes.push(match outcome {
                Ok(()) => format!("{fault}: {} undone", describe(&applied)),
                Err(error) => format!("{fault}: {} NOT undone: {error:#}", describe(&applied)),
            });
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
            Applied::Stopped { container } => {
                let id = self.container_id(container).await?;
                docker(&["start", &id]).await.map(|_| ())
            }
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

    /// Whether the compose service's container is running.
    pub async fn container_running(&self, container: &str) -> anyhow::Result<bool> {
        let id = self.container_id(container).await?;
        let state = docker(&["inspect", "--format", "{{.State.Running}}", &id]).await?;
        Ok(state.trim() == "true")
    }

    /// The container of a compose service (any compose version labels it so).
    async fn container_id(&self, service: &str) -> anyhow::Result<String> {
        let out = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.project),
            "--filter",
            &format!("label=com.docker.compose.service={service}"),
        ])
        .await?;
        out.lines()
            .next()
            .map(str::to_owned)
            .with_context(|| format!("no container of service {service:?} in compose project {:?}", self.project))
    }
}

fn describe(applied: &Applied) -> String {
    match applied {
        Applied::Toxic { proxy, toxic } => format!("toxic {toxic} on proxy {proxy}"),
        Applied::Disabled { proxy } => format!("proxy {proxy} disabled"),
        Applied::Stopped { container } => format!("container {container} stopped"),
    }
}

async fn docker(args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new("docker").args(args).output().await.context("running docker")?;
    if !output.status.success() {
        bail!("docker {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
