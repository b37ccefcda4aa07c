//! Threshold rules as goose writes them (`p95<500ms`, `error-rate<1%`,
//! `rps>=10`, `p99<2s for POST checkout: place order`), read here so that
//! the judge can evaluate them on Prometheus's sum over workers. goose keeps
//! its parsed rules private; every rule this accepts, goose accepts too
//! (checked in the tests).

use anyhow::{Context, bail};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A latency percentile, as a fraction (0.95).
    Quantile(f64),
    Average,
    Maximum,
    /// Failed requests as a percent of all.
    ErrorRate,
    /// Requests per second while the plan holds its users.
    RequestsPerSecond,
}

impl Metric {
    pub fn is_latency(self) -> bool {
        matches!(self, Metric::Quantile(_) | Metric::Average | Metric::Maximum)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operator {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Operator {
    pub fn passes(self, observed: f64, limit: f64) -> bool {
        match self {
            Operator::Less => observed < limit,
            Operator::LessOrEqual => observed <= limit,
            Operator::Greater => observed > limit,
            Operator::GreaterOrEqual => observed >= limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// As given, trimmed: the table and the report show it.
    pub text: String,
    pub metric: Metric,
    pub operator: Operator,
    /// Seconds for a latency, a percent for `error-rate`, per second for `rps`.
    pub limit: f64,
    /// `<METHOD> <name>`, or every request together.
    pub request: Option<String>,
}

impl Rule {
    pub fn parse(text: &str) -> anyhow::Result<Rule> {
        let text = text.trim();
        let (condition, request) = match text.split_once(" for ") {
            Some((condition, request)) => (condition.trim(), Some(request.trim().to_owned())),
            None => (text, None),
        };
        let at = condition.find(['<', '>']).with_context(|| format!("threshold {text:?}: no < or >"))?;
        let (name, rest) = condition.split_at(at);
        let (operator, value) = match rest {
            _ if rest.starts_with("<=") => (Operator::LessOrEqual, &rest[2..]),
            _ if rest.starts_with(">=") => (Operator::GreaterOrEqual, &rest[2..]),
            _ if rest.starts_with('<') => (Operator::Less, &rest[1..]),
            _ => (Operator::Greater, &rest[1..]),
        };
        let metric = match name.trim() {
            "avg" => Metric::Average,
            "max" => Metric::Maximum,
            "error-rate" => Metric::ErrorRate,
            "rps" => Metric::RequestsPerSecond,
            percentile if percentile.starts_with('p') => {
                let percent: f64 =
                    percentile[1..].parse().with_context(|| format!("threshold {text:?}: {percentile} is not pNN"))?;
                if !(percent > 0.0 && percent < 100.0) {
                    bail!("threshold {text:?}: a percentile is between p0 and p100");
                }
                Metric::Quantile(percent / 100.0)
            }
            other => bail!("threshold {text:?}: unknown metric {other:?}"),
        };
        let value = value.trim();
        let limit = match metric {
            _ if metric.is_latency() => seconds(value),
            Metric::ErrorRate => value.trim_end_matches('%').parse().ok(),
            _ => value.parse().ok(),
        }
        .with_context(|| format!("threshold {text:?}: {value:?} is not a value for it"))?;
        Ok(Rule { text: text.to_owned(), metric, operator, limit, request })
    }
}

/// `500ms`, `2s`, `250us`, or a bare number of milliseconds, in seconds.
fn seconds(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else {
        (value, 1e-3)
    };
    number.trim().parse::<f64>().ok().map(|n| n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::PROFILES;

    #[test]
    fn every_profile_s_rule_reads_as_goose_reads_it() {
        for rule in PROFILES.iter().flat_map(|p| p.thresholds.iter()) {
            assert!(rule.parse::<goose::threshold::Threshold>().is_ok());
            let parsed = Rule::parse(rule).unwrap();
            assert_eq!(parsed.text, *rule);
        }
    }

    #[test]
    fn rules_read_their_metric_operator_limit_and_request() {
        let rule = Rule::parse("p95<4s for POST checkout: place order").unwrap();
        assert_eq!(rule.metric, Metric::Quantile(0.95));
        assert_eq!((rule.operator, rule.limit), (Operator::Less, 4.0));
        assert_eq!(rule.request.as_deref(), Some("POST checkout: place order"));
        assert_eq!(Rule::parse("p99.9<=250").unwrap().limit, 0.25);
        assert_eq!(Rule::parse("p95<1us").unwrap().limit, 1e-6);
        let errors = Rule::parse("error-rate<1%").unwrap();
        assert_eq!((errors.metric, errors.limit), (Metric::ErrorRate, 1.0));
        let rps = Rule::parse("rps>=10").unwrap();
        assert_eq!((rps.metric, rps.operator, rps.limit), (Metric::RequestsPerSecond, Operator::GreaterOrEqual, 10.0));
        assert_eq!(Rule::parse("avg<200ms").unwrap().metric, Metric::Average);
        assert!(Operator::GreaterOrEqual.passes(10.0, 10.0) && !Operator::Less.passes(10.0, 10.0));
    }

    #[test]
    fn rules_goose_refuses_are_refused() {
        for rule in ["p100<2s", "p0<1s", "latency<2s", "p95=2s", "p95<fast", "error-rate<lots"] {
            assert!(Rule::parse(rule).is_err(), "{rule}");
            assert!(rule.parse::<goose::threshold::Threshold>().is_err(), "{rule}");
        }
    }
}
