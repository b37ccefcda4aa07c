//! Evaluating one threshold once: a PromQL query against Prometheus, or
//! the order-flow invariant checker (a command; exit 0 means clean).

use super::experiment::Threshold;
use super::prometheus::Prometheus;

/// One evaluation: the value (for queries), whether it held, and why not.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub value: Option<f64>,
    pub holds: bool,
    pub note: String,
}

pub struct Checker {
    pub prometheus: Prometheus,
    /// The invariant checker's command line (e.g. `scripts/invariants.sh`).
    pub invariants: Vec<String>,
}

impl Checker {
    pub async fn evaluate(&self, threshold: &Threshold) -> Evaluation {
        if threshold.invariants {
            return self.invariants().await;
        }
        let query = threshold.query.as_deref().unwrap_or_default();
        match self.prometheus.values(query).await {
            Err(error) => Evaluation { value: None, holds: false, note: format!("{error:#}") },
            Ok(values) => {
                // The worst series counts.
                let worst = if threshold.below.is_some() {
                    values.iter().copied().reduce(f64::max)
                } else {
                    values.iter().copied().reduce(f64::min)
                };
                match worst.or(threshold.empty) {
                    Some(value) => {
                        Evaluation { value: Some(value), holds: threshold.holds(value), note: String::new() }
                    }
                    None => Evaluation { value: None, holds: false, note: "no data".into() },
                }
            }
        }
    }

    async fn invariants(&self) -> Evaluation {
        let Some((program, args)) = self.invariants.split_first() else {
            return Evaluation { value: None, holds: false, note: "no invariant checker configured".into() };
        };
        match tokio::process::Command::new(program).args(args).output().await {
            Err(error) => Evaluation { value: None, holds: false, note: format!("{program}: {error}") },
            Ok(output) => {
                let text = String::from_utf8_lossy(&output.stdout);
                // The checker's last lines say what it found.
                let tail: Vec<&str> = text.lines().rev().take(3).collect();
                let note = tail.into_iter().rev().collect::<Vec<_>>().join(" / ");
                Evaluation { value: None, holds: output.status.success(), note }
            }
        }
    }
}
