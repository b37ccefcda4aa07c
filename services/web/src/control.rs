//! What the control room reads and changes beside the shop: chaos-proxy's
//! API (the proxies and their toxics) and Prometheus (the resilience
//! patterns' live state). Every answer it cannot use is an explicit error.

use std::collections::BTreeMap;

use axum::http::Method;
use platform::client::{Call, CallError, ServiceClient};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::OneClickFault;

#[derive(Debug, Clone, Deserialize)]
pub struct Proxy {
    pub name: String,
    pub listen: String,
    pub upstream: String,
    pub enabled: bool,
    pub toxics: Vec<ProxyToxic>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProxyToxic {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// One series of an instant query: its labels and value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }
}

/// The live state the room shows, one list per pattern.
#[derive(Debug, Default)]
pub struct LiveState {
    /// `resilience_breaker_state`: 0 closed, 1 half-open, 2 open.
    pub breakers: Vec<Sample>,
    /// Calls refused by a breaker or a bulkhead, per second (last minute).
    pub refused: Vec<Sample>,
    /// Retries not made because the budget was spent, per second.
    pub retry_budget: Vec<Sample>,
    pub outbox_backlog: Vec<Sample>,
    pub queue_depth: Vec<Sample>,
    /// The load generator's virtual users, by profile.
    pub load_users: Vec<Sample>,
    /// Its requests per second (last 30 s), by profile.
    pub load_rate: Vec<Sample>,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Unavailable(#[from] CallError),
    #[error("{what}: {detail}")]
    Unexpected { what: &'static str, detail: String },
    /// The source understood and said no (an experiment already running).
    #[error("{message}")]
    Refused { status: u16, message: String },
}

#[derive(Clone)]
pub struct ControlPlane {
    pub chaos: ServiceClient,
    pub prometheus: ServiceClient,
}

impl ControlPlane {
    pub async fn proxies(&self) -> Result<Vec<Proxy>, ControlError> {
        let by_name: BTreeMap<String, Proxy> = self.chaos.json(Call::get("/proxies")).await?;
        Ok(by_name.into_values().collect())
    }

    /// Puts `fault` on `proxy`; a fault already in place stays as it is.
    pub async fn inject(&self, proxy: &str, fault: OneClickFault) -> Result<(), ControlError> {
        let call = match fault.toxic() {
            Some(toxic) => Call::new(Method::POST, format!("/proxies/{proxy}/toxics")).json(&toxic),
            None => Call::new(Method::POST, format!("/proxies/{proxy}")).json(&json!({ "enabled": false })),
        };
        let response = self.chaos.send(call).await?;
        match response.status().as_u16() {
            200 | 201 | 409 => Ok(()),
            status => {
                Err(ControlError::Unexpected { what: "chaos-proxy", detail: format!("adding a fault: {status}") })
            }
        }
    }

    /// Every toxic off and every proxy on (chaos-proxy's `/reset`).
    pub async fn clear(&self) -> Result<(), ControlError> {
        let response = self.chaos.send(Call::new(Method::POST, "/reset")).await?;
        match response.status().as_u16() {
            200 | 204 => Ok(()),
            status => Err(ControlError::Unexpected { what: "chaos-proxy", detail: format!("reset: {status}") }),
        }
    }

    pub async fn live_state(&self) -> Result<LiveState, ControlError> {
        let (breakers, refused, retry_budget, outbox_backlog, queue_depth, load_users, load_rate) = tokio::try_join!(
            self.query("max by (service, peer_service) (resilience_breaker_state)"),
            self.query(
                "sum by (service, peer_service, outcome) (rate(resilience_calls_total{outcome=~\"rejected_by_breaker|rejected_by_bulkhead\"}[1m])) > 0"
            ),
            self.query("sum by (service, peer_service) (rate(resilience_retry_budget_exhausted_total[1m])) > 0"),
            self.query("sum by (service) (outbox_pending_messages)"),
            self.query("sum by (queue) (rabbitmq_queue_messages_ready)"),
            self.query("sum by (profile) (shop_load_users_active)"),
            self.query("sum by (profile) (rate(shop_load_requests_total[30s]))"),
        )?;
        Ok(LiveState { breakers, refused, retry_budget, outbox_backlog, queue_depth, load_users, load_rate })
    }

    /// An instant query's vector.
    async fn query(&self, promql: &str) -> Result<Vec<Sample>, ControlError> {
        let path =
            format!("/api/v1/query?{}", serde_urlencoded::to_string([("query", promql)]).expect("a string encodes"));
        let answer: Value = self.prometheus.json(Call::get(path)).await?;
        let unexpected = |detail: &str| ControlError::Unexpected { what: "prometheus", detail: detail.to_owned() };
        if answer["status"] != "success" {
            return Err(unexpected(&format!("query {promql:?} answered {}", answer["status"])));
        }
        let results = answer["data"]["result"].as_array().ok_or_else(|| unexpected("no result vector"))?;
        results
            .iter()
            .map(|series| {
                let labels = series["metric"]
                    .as_object()
                    .ok_or_else(|| unexpected("a series without labels"))?
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect();
                let value = series["value"][1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or_else(|| unexpected("a sample without a number"))?;
                Ok(Sample { labels, value })
            })
            .collect()
    }
}
