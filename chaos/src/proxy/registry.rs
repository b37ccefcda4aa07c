//! Every proxy by name, and the control API's operations on them: create,
//! move, enable and disable, toxics added, changed and removed. Every change
//! is visible to open connections at once (see `instance.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

pub use super::error::ApiError;
use super::instance::Proxy;
use super::link;
use super::metrics::ProxyMetrics;
use super::model::{
    HTTP_KINDS, NewProxy, NewToxic, ProxyChange, ProxyView, TCP_KINDS, Toxic, ToxicChange, default_attributes,
};
use super::windows::FaultWindows;

/// Every proxy, by name.
#[derive(Clone)]
pub struct Registry {
    proxies: Arc<tokio::sync::Mutex<BTreeMap<String, Arc<Proxy>>>>,
    metrics: ProxyMetrics,
}

impl Registry {
    pub fn new(metrics: ProxyMetrics) -> Self {
        Self { proxies: Default::default(), metrics }
    }

    /// The faults the experiment runner has announced.
    pub fn windows(&self) -> &FaultWindows {
        &self.metrics.windows
    }

    pub async fn list(&self) -> BTreeMap<String, ProxyView> {
        self.proxies.lock().await.iter().map(|(name, p)| (name.clone(), p.view())).collect()
    }

    pub async fn get(&self, name: &str) -> Result<ProxyView, ApiError> {
        Ok(self.proxy(name).await?.view())
    }

    async fn proxy(&self, name: &str) -> Result<Arc<Proxy>, ApiError> {
        self.proxies.lock().await.get(name).cloned().ok_or_else(ApiError::proxy_not_found)
    }

    pub async fn create(&self, new: NewProxy) -> Result<ProxyView, ApiError> {
        if new.name.is_empty() {
            return Err(ApiError::missing("name"));
        }
        if new.upstream.is_empty() {
            return Err(ApiError::missing("upstream"));
        }
        let mut proxies = self.proxies.lock().await;
        if proxies.contains_key(&new.name) {
            return Err(ApiError::proxy_exists());
        }
        let listen = if new.listen.is_empty() { "127.0.0.1:0".to_owned() } else { new.listen };
        let proxy = Proxy::new(new.name.clone(), listen, new.upstream, self.metrics.clone());
        if new.enabled {
            proxy.start(link::serve).await?;
        }
        proxies.insert(new.name, proxy.clone());
        Ok(proxy.view())
    }

    /// Creates the proxies that do not exist and updates those that do.
    pub async fn populate(&self, proxies: Vec<NewProxy>) -> Result<Vec<ProxyView>, ApiError> {
        let mut views = Vec::new();
        for new in proxies {
            let exists = self.proxies.lock().await.contains_key(&new.name);
            let view = if exists {
                let change = ProxyChange {
                    listen: Some(new.listen.clone()).filter(|l| !l.is_empty()),
                    upstream: Some(new.upstream.clone()),
                    enabled: Some(new.enabled),
                };
                self.update(&new.name, change).await?
            } else {
                self.create(new).await?
            };
            views.push(view);
        }
        Ok(views)
    }

    pub async fn update(&self, name: &str, change: ProxyChange) -> Result<ProxyView, ApiError> {
        let proxy = self.proxy(name).await?;
        let moved = proxy.move_to(change.listen, change.upstream);
        let enabled = change.enabled.unwrap_or_else(|| proxy.is_enabled());
        if moved || !enabled {
            proxy.stop().await;
        }
        if enabled {
            proxy.start(link::serve).await?;
        }
        Ok(proxy.view())
    }

    pub async fn delete(&self, name: &str) -> Result<(), ApiError> {
        let proxy = self.proxies.lock().await.remove(name).ok_or_else(ApiError::proxy_not_found)?;
        proxy.stop().await;
        proxy.publish_toxics(Vec::new());
        Ok(())
    }

    /// Every proxy enabled, every toxic removed.
    pub async fn reset(&self) -> Result<(), ApiError> {
        let proxies: Vec<Arc<Proxy>> = self.proxies.lock().await.values().cloned().collect();
        for proxy in proxies {
            proxy.publish_toxics(Vec::new());
            proxy.start(link::serve).await?;
        }
        tracing::info!("reset: every proxy enabled, every toxic removed");
        Ok(())
    }

    pub async fn toxics(&self, proxy: &str) -> Result<Vec<Toxic>, ApiError> {
        Ok(self.proxy(proxy).await?.toxics().as_ref().clone())
    }

    pub async fn toxic(&self, proxy: &str, name: &str) -> Result<Toxic, ApiError> {
        self.toxics(proxy).await?.into_iter().find(|t| t.name == name).ok_or_else(ApiError::toxic_not_found)
    }

    pub async fn add_toxic(&self, proxy: &str, new: NewToxic) -> Result<Toxic, ApiError> {
        let proxy = self.proxy(proxy).await?;
        let mut attributes = default_attributes(&new.kind).ok_or_else(|| ApiError::invalid_toxic(&new.kind))?;
        attributes.extend(new.attributes);
        let stream = new.stream.unwrap_or_default();
        let toxicity = new.toxicity.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&toxicity) {
            return Err(ApiError::bad_body("toxicity must be between 0 and 1"));
        }
        let toxic = Toxic {
            name: new.name.unwrap_or_else(|| format!("{}_{}", new.kind, stream.as_str())),
            kind: new.kind,
            stream,
            toxicity,
            attributes,
        };
        validate(&toxic)?;
        let mut toxics = proxy.toxics().as_ref().clone();
        if toxics.iter().any(|t| t.name == toxic.name) {
            return Err(ApiError::toxic_exists());
        }
        toxics.push(toxic.clone());
        proxy.publish_toxics(toxics);
        tracing::info!(proxy = %proxy.name(), toxic = %toxic.name, kind = %toxic.kind, stream = toxic.stream.as_str(), toxicity, attributes = %serde_json::Value::Object(toxic.attributes.clone()), "toxic added");
        Ok(toxic)
    }

    pub async fn update_toxic(&self, proxy: &str, name: &str, change: ToxicChange) -> Result<Toxic, ApiError> {
        let proxy = self.proxy(proxy).await?;
        let mut toxics = proxy.toxics().as_ref().clone();
        let toxic = toxics.iter_mut().find(|t| t.name == name).ok_or_else(ApiError::toxic_not_found)?;
        if let Some(toxicity) = change.toxicity {
            if !(0.0..=1.0).contains(&toxicity) {
                return Err(ApiError::bad_body("toxicity must be between 0 and 1"));
            }
            toxic.toxicity = toxicity;
        }
        if let Some(attributes) = change.attributes {
            toxic.attributes.extend(attributes);
        }
        validate(toxic)?;
        let updated = toxic.clone();
        proxy.publish_toxics(toxics);
        tracing::info!(proxy = %proxy.name(), toxic = %updated.name, attributes = %serde_json::Value::Object(updated.attributes.clone()), "toxic changed");
        Ok(updated)
    }

    pub async fn remove_toxic(&self, proxy: &str, name: &str) -> Result<(), ApiError> {
        let proxy = self.proxy(proxy).await?;
        let mut toxics = proxy.toxics().as_ref().clone();
        let before = toxics.len();
        toxics.retain(|t| t.name != name);
        if toxics.len() == before {
            return Err(ApiError::toxic_not_found());
        }
        proxy.publish_toxics(toxics);
        tracing::info!(proxy = %proxy.name(), toxic = name, "toxic removed");
        Ok(())
    }
}

fn validate(toxic: &Toxic) -> Result<(), ApiError> {
    if !TCP_KINDS.contains(&toxic.kind.as_str()) && !HTTP_KINDS.contains(&toxic.kind.as_str()) {
        return Err(ApiError::invalid_toxic(&toxic.kind));
    }
    for (key, value) in &toxic.attributes {
        match key.as_str() {
            "body" | "method" | "path_prefix" | "path" if value.is_string() => {}
            "body" | "method" | "path_prefix" | "path" => {
                return Err(ApiError::bad_body(format!("attribute {key} must be a string")));
            }
            "headers" => {
                let patterns = value.as_object().filter(|headers| headers.values().all(Value::is_string));
                if patterns.is_none() {
                    return Err(ApiError::bad_body("attribute headers must map header names to patterns (strings)"));
                }
            }
            _ if value.as_f64().is_none_or(|v| v < 0.0) => {
                return Err(ApiError::bad_body(format!("attribute {key} must be a non-negative number")));
            }
            _ => {}
        }
    }
    if toxic.kind == "http_status" && !(100..=599).contains(&toxic.number("status")) {
        return Err(ApiError::bad_body("status must be an HTTP status"));
    }
    Ok(())
}
