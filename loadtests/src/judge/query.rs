//! What the judge asks Prometheus, over one window of time.
//!
//! A worker's counters start at zero when it starts, so what a run did in
//! the window is, per series, its last value in the window less its last
//! value before the window (none before: all of it). Summing those over the
//! workers, never `increase()`, keeps the counts exact: `increase`
//! extrapolates to the window's edges.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    fn seconds(&self) -> i64 {
        (self.to - self.from).num_seconds().max(1)
    }

    fn at(time: DateTime<Utc>) -> String {
        format!("{:.3}", time.timestamp_millis() as f64 / 1_000.0)
    }

    /// What each series of `selector` counted in the window.
    pub fn delta(&self, selector: &str) -> String {
        let (range, from, to) = (self.seconds(), Self::at(self.from), Self::at(self.to));
        format!(
            "(last_over_time({selector}[{range}s] @ {to}) - (last_over_time({selector}[{range}s] @ {from}) or last_over_time({selector}[{range}s] @ {to}) * 0))"
        )
    }

    /// The raw samples of `selector` in the window.
    pub fn samples(&self, selector: &str) -> String {
        format!("{selector}[{}s] @ {}", self.seconds(), Self::at(self.to))
    }

    /// The last value of each series of `selector` in the window.
    pub fn last(&self, selector: &str) -> String {
        format!("last_over_time({selector}[{}s] @ {})", self.seconds(), Self::at(self.to))
    }
}

/// A label value inside a PromQL selector.
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', r"\\").replace('"', "\\\""))
}

/// One series of an answer: its labels and its value(s) (time, value).
#[derive(Debug, Clone)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }

    /// The value (an instant answer), or the last one (a range).
    pub fn value(&self) -> f64 {
        self.points.last().map_or(f64::NAN, |p| p.1)
    }
}

pub struct Prometheus {
    base: String,
    http: reqwest::Client,
}

impl Prometheus {
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_owned(), http: reqwest::Client::new() }
    }

    /// An instant query; each series with its value(s).
    pub async fn query(&self, expr: &str) -> anyhow::Result<Vec<Series>> {
        let answer: Value = self
            .http
            .get(format!("{}/api/v1/query", self.base))
            .query(&[("query", expr)])
            .send()
            .await
            .with_context(|| format!("Prometheus does not answer at {}", self.base))?
            .json()
            .await
            .context("Prometheus's answer is not JSON")?;
        if answer["status"] != "success" {
            bail!("Prometheus refused {expr}: {}", answer["error"]);
        }
        let data = &answer["data"];
        let point = |p: &Value| -> (f64, f64) {
            (p[0].as_f64().unwrap_or(f64::NAN), p[1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN))
        };
        let series = match data["resultType"].as_str() {
            Some("vector") | Some("matrix") => data["result"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| Series {
                    labels: s["metric"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect(),
                    points: match s.get("values") {
                        Some(values) => values.as_array().into_iter().flatten().map(point).collect(),
                        None => vec![point(&s["value"])],
                    },
                })
                .collect(),
            Some("scalar") => vec![Series { labels: BTreeMap::new(), points: vec![point(&data["result"])] }],
            other => bail!("Prometheus answered {expr} with a {other:?}, which the judge does not read"),
        };
        Ok(series)
    }

    /// A query whose answer is one number (NaN when it has no series).
    pub async fn number(&self, expr: &str) -> anyhow::Result<f64> {
        Ok(self.query(expr).await?.first().map_or(f64::NAN, Series::value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_subtracts_what_was_counted_before_the_window() {
        let window = Window {
            from: DateTime::from_timestamp(1_000, 0).unwrap(),
            to: DateTime::from_timestamp(1_060, 500_000_000).unwrap(),
        };
        assert_eq!(
            window.delta("x{run=\"a\"}"),
            "(last_over_time(x{run=\"a\"}[60s] @ 1060.500) - (last_over_time(x{run=\"a\"}[60s] @ 1000.000) or last_over_time(x{run=\"a\"}[60s] @ 1060.500) * 0))"
        );
        assert_eq!(quoted(r#"GET "a"\b"#), r#""GET \"a\"\\b""#);
    }
}
