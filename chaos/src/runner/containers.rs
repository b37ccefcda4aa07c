//! Faults on the containers of a compose project, through the Docker CLI:
//! stop, kill, cut off from the network, squeeze the CPU. A compose service
//! is found by the labels every compose version puts on its container.
//!
//! The partition does not go through chaos-proxy: the container is
//! disconnected from its networks, so nothing reaches it and it reaches
//! nothing (its database, its broker, the services it calls), and is
//! connected again with the same aliases, so the others find it by name.

use anyhow::{Context, bail};
use serde_json::Value;

/// A container's place on one network: what connecting it again needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub network: String,
    pub aliases: Vec<String>,
}

pub struct Containers {
    project: String,
}

impl Containers {
    pub fn new(project: &str) -> Self {
        Self { project: project.to_owned() }
    }

    /// The container of a compose service.
    pub async fn id(&self, service: &str) -> anyhow::Result<String> {
        let project = format!("label=com.docker.compose.project={}", self.project);
        let service_label = format!("label=com.docker.compose.service={service}");
        let out = docker(&["ps", "-aq", "--filter", &project, "--filter", &service_label]).await?;
        out.lines()
            .next()
            .map(str::to_owned)
            .with_context(|| format!("no container of service {service:?} in compose project {:?}", self.project))
    }

    pub async fn running(&self, id: &str) -> anyhow::Result<bool> {
        Ok(inspect(id, "{{.State.Running}}").await?.trim() == "true")
    }

    /// `docker stop` (SIGTERM, then SIGKILL after the grace period) or
    /// `docker kill` (SIGKILL).
    pub async fn take_down(&self, id: &str, kill: bool) -> anyhow::Result<()> {
        docker(&[if kill { "kill" } else { "stop" }, id]).await.map(drop)
    }

    pub async fn start(&self, id: &str) -> anyhow::Result<()> {
        docker(&["start", id]).await.map(drop)
    }

    /// The networks the container is on, with its aliases on each.
    pub async fn attachments(&self, id: &str) -> anyhow::Result<Vec<Attachment>> {
        let json = inspect(id, "{{json .NetworkSettings.Networks}}").await?;
        parse_attachments(&json)
    }

    /// Cuts the container off from every network in `attachments`.
    pub async fn disconnect(&self, id: &str, attachments: &[Attachment]) -> anyhow::Result<()> {
        for attachment in attachments {
            docker(&["network", "disconnect", "--force", &attachment.network, id]).await?;
        }
        Ok(())
    }

    /// Connects the container again as it was; a network it is already on
    /// is left as it is (an undo may run twice).
    pub async fn reconnect(&self, id: &str, attachments: &[Attachment]) -> anyhow::Result<()> {
        let on_now: Vec<String> = self.attachments(id).await?.into_iter().map(|a| a.network).collect();
        for attachment in attachments.iter().filter(|a| !on_now.contains(&a.network)) {
            let mut args = vec!["network", "connect"];
            for alias in &attachment.aliases {
                args.extend(["--alias", alias]);
            }
            args.extend([attachment.network.as_str(), id]);
            docker(&args).await?;
        }
        Ok(())
    }

    /// The container's CPU limit in CPUs; `None` when it has none.
    pub async fn cpus(&self, id: &str) -> anyhow::Result<Option<f64>> {
        let nano: u64 = inspect(id, "{{.HostConfig.NanoCpus}}").await?.trim().parse().context("NanoCpus")?;
        Ok((nano > 0).then(|| nano as f64 / 1e9))
    }

    /// Limits the container to `cpus` CPUs; `None` gives it every CPU of the
    /// Docker host (Docker cannot take a CPU limit away once set, so "no
    /// limit" is a limit as large as the host).
    pub async fn set_cpus(&self, id: &str, cpus: Option<f64>) -> anyhow::Result<()> {
        let cpus = match cpus {
            Some(cpus) => cpus,
            None => docker(&["info", "--format", "{{.NCPU}}"]).await?.trim().parse().context("the host's CPUs")?,
        };
        docker(&["update", "--cpus", &format!("{cpus}"), id]).await.map(drop)
    }
}

fn parse_attachments(json: &str) -> anyhow::Result<Vec<Attachment>> {
    let networks: serde_json::Map<String, Value> = serde_json::from_str(json.trim()).context("networks")?;
    let mut attachments: Vec<Attachment> = networks
        .into_iter()
        .map(|(network, settings)| {
            let aliases = settings["Aliases"]
                .as_array()
                .map(|aliases| aliases.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            Attachment { network, aliases }
        })
        .collect();
    attachments.sort_by(|a, b| a.network.cmp(&b.network));
    Ok(attachments)
}

async fn inspect(id: &str, format: &str) -> anyhow::Result<String> {
    docker(&["inspect", "--format", format, id]).await
}

pub async fn docker(args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new("docker").args(args).output().await.context("running docker")?;
    if !output.status.success() {
        bail!("docker {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_containers_networks_and_aliases_are_read_from_docker_inspect() {
        let json =
            r#"{"testbed_default":{"Aliases":["payments","3f2a"],"IPAddress":"172.18.0.5"},"other":{"Aliases":null}}"#;
        let attachments = parse_attachments(json).unwrap();
        assert_eq!(
            attachments,
            vec![
                Attachment { network: "other".into(), aliases: vec![] },
                Attachment { network: "testbed_default".into(), aliases: vec!["payments".into(), "3f2a".into()] },
            ]
        );
        assert!(parse_attachments("{}").unwrap().is_empty(), "a container cut off from everything");
    }
}
