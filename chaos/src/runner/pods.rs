//! Stop and kill faults on a Kubernetes cluster (`chaos run --kubernetes
//! NAMESPACE`), through kubectl: the Deployment named like the fault's
//! `container` (compose's service name is the Deployment's, see
//! deploy/kubernetes/) is scaled to 0 for the fault's window, so nothing
//! brings it back meanwhile; a kill also deletes its pods at once, without
//! their grace period (SIGKILL). Undone by scaling it back to the replicas
//! it had.

use anyhow::{Context, bail};

pub struct Pods {
    namespace: String,
}

impl Pods {
    pub fn new(namespace: &str) -> Self {
        Self { namespace: namespace.to_owned() }
    }

    /// The replicas the Deployment asks for (an error when there is no such
    /// Deployment: checked before anything runs).
    pub async fn replicas(&self, deployment: &str) -> anyhow::Result<u32> {
        let out = kubectl(&self.jsonpath(deployment, "{.spec.replicas}")).await?;
        out.trim().parse().with_context(|| format!("replicas of deployment {deployment:?}: {out:?}"))
    }

    /// Its pods that are ready now.
    pub async fn ready(&self, deployment: &str) -> anyhow::Result<u32> {
        let out = kubectl(&self.jsonpath(deployment, "{.status.readyReplicas}")).await?;
        // No ready pod at all: the field is absent.
        Ok(out.trim().parse().unwrap_or(0))
    }

    pub async fn take_down(&self, deployment: &str, kill: bool) -> anyhow::Result<()> {
        kubectl(&self.scale(deployment, 0)).await?;
        if kill {
            kubectl(&self.kill_pods(deployment)).await?;
        }
        Ok(())
    }

    pub async fn restore(&self, deployment: &str, replicas: u32) -> anyhow::Result<()> {
        kubectl(&self.scale(deployment, replicas)).await.map(drop)
    }

    fn jsonpath(&self, deployment: &str, path: &str) -> Vec<String> {
        let object = format!("deployment/{deployment}");
        let output = format!("jsonpath={path}");
        ["-n", &self.namespace, "get", &object, "-o", &output].map(str::to_owned).to_vec()
    }

    fn scale(&self, deployment: &str, replicas: u32) -> Vec<String> {
        let object = format!("deployment/{deployment}");
        let replicas = format!("--replicas={replicas}");
        ["-n", &self.namespace, "scale", &object, &replicas].map(str::to_owned).to_vec()
    }

    /// Every pod of the Deployment, at once and without grace.
    fn kill_pods(&self, deployment: &str) -> Vec<String> {
        let selector = format!("app.kubernetes.io/name={deployment}");
        ["-n", &self.namespace, "delete", "pod", "-l", &selector, "--grace-period=0", "--force", "--wait=false"]
            .map(str::to_owned)
            .to_vec()
    }
}

async fn kubectl(args: &[String]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new("kubectl").args(args).output().await.context("running kubectl")?;
    if !output.status.success() {
        bail!("kubectl {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The selector is the label every Deployment of deploy/kubernetes/ puts
    /// on its pods; the namespace goes with every command.
    #[test]
    fn the_commands_name_the_deployment_its_pods_and_the_namespace() {
        let pods = Pods::new("shop");
        assert_eq!(pods.scale("payments", 0).join(" "), "-n shop scale deployment/payments --replicas=0");
        assert_eq!(
            pods.kill_pods("payments").join(" "),
            "-n shop delete pod -l app.kubernetes.io/name=payments --grace-period=0 --force --wait=false"
        );
        assert_eq!(
            pods.jsonpath("payments", "{.spec.replicas}").join(" "),
            "-n shop get deployment/payments -o jsonpath={.spec.replicas}"
        );
        let manifest = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/kubernetes/base/shop/payments.yaml"
        ))
        .expect("the Deployment");
        assert!(manifest.contains("app.kubernetes.io/name: payments"), "the pods carry the label the selector names");
    }
}
