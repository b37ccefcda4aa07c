//! The two Prometheus HTTP API calls the runner makes: an instant query
//! (probes) and a range query (the report's plots).

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Clone)]
pub struct Prometheus {
    base: String,
    http: reqwest::Client,
}

/// A point of a plotted series: seconds since the run began, and the value.
pub type Point = (f64, f64);

/// One series of a range query, with its labels as `{a="b"}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Series {
    pub labels: String,
    pub points: Vec<Point>,
}

impl Prometheus {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a client");
        Self { base: base.trim_end_matches('/').to_owned(), http }
    }

    async fn get(&self, path: &str, params: &[(&str, String)]) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let response =
            self.http.get(&url).query(params).send().await.with_context(|| format!("Prometheus at {url}"))?;
        let body: Value = response.json().await.with_context(|| format!("Prometheus at {url}: not JSON"))?;
        if body["status"] != "success" {
            bail!("Prometheus refused the query: {}", body["error"].as_str().unwrap_or("unknown error"));
        }
        Ok(body["data"].clone())
    }

    /// Every value of an instant query (one per series; a scalar is one).
    pub async fn values(&self, query: &str) -> anyhow::Result<Vec<f64>> {
        let data = self.get("/api/v1/query", &[("query", query.to_owned())]).await?;
        let number = |pair: &Value| pair[1].as_str().and_then(|v| v.parse::<f64>().ok());
        let values: Vec<f64> = match data["resultType"].as_str() {
            Some("scalar") => number(&data["result"]).into_iter().collect(),
            _ => data["result"].as_array().into_iter().flatten().filter_map(|s| number(&s["value"])).collect(),
        };
        Ok(values.into_iter().filter(|v| !v.is_nan()).collect())
    }

    /// A range query, with time as seconds since `origin`.
    pub async fn range(
        &self,
        query: &str,
        origin: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> anyhow::Result<Vec<Series>> {
        let timestamp = |t: DateTime<Utc>| format!("{:.3}", t.timestamp_millis() as f64 / 1000.0);
        let data = self
            .get(
                "/api/v1/query_range",
                &[
                    ("query", query.to_owned()),
                    ("start", timestamp(origin)),
                    ("end", timestamp(end)),
                    ("step", format!("{}s", step.as_secs().max(1))),
                ],
            )
            .await?;
        let start = origin.timestamp_millis() as f64 / 1000.0;
        let series = data["result"].as_array().cloned().unwrap_or_default();
        Ok(series
            .iter()
            .map(|s| {
                let labels = s["metric"]
                    .as_object()
                    .map(|m| {
                        let pairs: Vec<String> =
                            m.iter().map(|(k, v)| format!("{k}=\"{}\"", v.as_str().unwrap_or_default())).collect();
                        format!("{{{}}}", pairs.join(", "))
                    })
                    .unwrap_or_default();
                let points = s["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        let t = p[0].as_f64()?;
                        let v = p[1].as_str()?.parse::<f64>().ok().filter(|v| v.is_finite())?;
                        Some((t - start, v))
                    })
                    .collect();
                Series { labels, points }
            })
            .collect())
    }
}
