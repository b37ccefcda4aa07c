//! The proxies, their listeners and their toxics. Every change is visible
//! to open connections at once: links watch the toxic list, and a
//! generation counter closes them all when a proxy is disabled or moved.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::link;
use super::metrics::{FaultLabels, ProxyLabels, ProxyMetrics};
use super::model::{
    HTTP_KINDS, NewProxy, NewToxic, ProxyChange, ProxyView, TCP_KINDS, Toxic, ToxicChange, default_attributes,
};
use super::windows::FaultWindows;

/// An API error, with Toxiproxy's messages and statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub message: String,
    pub status: u16,
}

impl ApiError {
    fn new(message: impl Into<String>, status: u16) -> Self {
        Self { message: message.into(), status }
    }
    pub fn proxy_not_found() -> Self {
        Self::new("proxy not found", 404)
    }
    fn proxy_exists() -> Self {
        Self::new("proxy already exists", 409)
    }
    fn missing(field: &str) -> Self {
        Self::new(format!("missing required field: {field}"), 400)
    }
    pub fn fault_not_found() -> Self {
        Self::new("fault not found", 404)
    }
    fn toxic_not_found() -> Self {
        Self::new("toxic not found", 404)
    }
    fn toxic_exists() -> Self {
        Self::new("toxic already exists", 409)
    }
    fn invalid_toxic(detail: impl std::fmt::Display) -> Self {
        Self::new(format!("invalid toxic type: {detail}"), 400)
    }
    pub fn bad_body(detail: impl std::fmt::Display) -> Self {
        Self::new(format!("bad request body: {detail}"), 400)
    }
}

struct Settings {
    listen: String,
    upstream: String,
    enabled: bool,
    /// The address the listener got (a configured port 0 becomes a real one).
    bound: Option<String>,
    listener: Option<JoinHandle<()>>,
}

pub struct Proxy {
    pub name: String,
    settings: Mutex<Settings>,
    /// The toxics, in the order they were added (they apply in that order).
    pub(super) toxics: watch::Sender<Arc<Vec<Toxic>>>,
    /// Bumped to close every open connection.
    pub(super) generation: watch::Sender<u64>,
    pub(super) metrics: ProxyMetrics,
}

impl Proxy {
    pub(super) fn upstream(&self) -> String {
        self.settings.lock().expect("poisoned").upstream.clone()
    }

    fn view(&self) -> ProxyView {
        let settings = self.settings.lock().expect("poisoned");
        ProxyView {
            name: self.name.clone(),
            listen: settings.bound.clone().unwrap_or_else(|| settings.listen.clone()),
            upstream: settings.upstream.clone(),
            enabled: settings.enabled,
            toxics: self.toxics.borrow().as_ref().clone(),
        }
    }

    fn close_connections(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    async fn start(self: &Arc<Self>) -> Result<(), ApiError> {
        let listen = {
            let settings = self.settings.lock().expect("poisoned");
            if settings.listener.is_some() {
                return Ok(());
            }
            settings.listen.clone()
        };
        let listener = TcpListener::bind(&listen)
            .await
            .map_err(|e| ApiError::new(format!("cannot listen on {listen}: {e}"), 500))?;
        let bound = listener.local_addr().map(|a| a.to_string()).ok();
        let proxy = self.clone();
        let task = tokio::spawn(accept_loop(proxy, listener));
        let mut settings = self.settings.lock().expect("poisoned");
        // A port 0 became a real port: keep it, so a proxy disabled and
        // enabled again listens where it did (as Toxiproxy does).
        if let Some(bound) = &bound {
            settings.listen = bound.clone();
        }
        settings.bound = bound;
        settings.listener = Some(task);
        settings.enabled = true;
        self.metrics.enabled.get_or_create(&ProxyLabels { proxy: self.name.clone() }).set(1);
        tracing::info!(proxy = %self.name, listen = ?settings.bound, upstream = %settings.upstream, "proxy listening");
        Ok(())
    }

    /// Stops listening (new connections are refused) and closes open ones.
    async fn stop(&self) {
        let listener = {
            let mut settings = self.settings.lock().expect("poisoned");
            settings.enabled = false;
            settings.listener.take()
        };
        if let Some(listener) = listener {
            listener.abort();
            // Wait until the task is gone and its socket closed, so the
            // address can be bound again at once.
            let _ = listener.await;
        }
        self.close_connections();
        self.metrics.enabled.get_or_create(&ProxyLabels { proxy: self.name.clone() }).set(0);
        tracing::info!(proxy = %self.name, "proxy disabled");
    }

    fn publish_toxics(&self, toxics: Vec<Toxic>) {
        let old = self.toxics.borrow().clone();
        for toxic in old.iter() {
            self.metrics.active_toxics.get_or_create(&labels(&self.name, toxic)).set(0);
        }
        for toxic in &toxics {
            self.metrics.active_toxics.get_or_create(&labels(&self.name, toxic)).set(1);
        }
        self.toxics.send_replace(Arc::new(toxics));
    }
}

fn labels(proxy: &str, toxic: &Toxic) -> FaultLabels {
    FaultLabels { proxy: proxy.to_owned(), toxic: toxic.name.clone(), kind: toxic.kind.clone() }
}

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
        let proxy = Arc::new(Proxy {
            name: new.name.clone(),
            settings: Mutex::new(Settings {
                listen,
                upstream: new.upstream,
                enabled: false,
                bound: None,
                listener: None,
            }),
            toxics: watch::channel(Arc::new(Vec::new())).0,
            generation: watch::channel(0).0,
            metrics: self.metrics.clone(),
        });
        if new.enabled {
            proxy.start().await?;
        } else {
            proxy.metrics.enabled.get_or_create(&ProxyLabels { proxy: proxy.name.clone() }).set(0);
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
        let moved = {
            let mut settings = proxy.settings.lock().expect("poisoned");
            let mut moved = false;
            if let Some(listen) = change.listen.filter(|l| *l != settings.listen && Some(l) != settings.bound.as_ref())
            {
                settings.listen = listen;
                moved = true;
            }
            if let Some(upstream) = change.upstream.filter(|u| *u != settings.upstream) {
                settings.upstream = upstream;
                moved = true;
            }
            moved
        };
        let enabled = change.enabled.unwrap_or_else(|| proxy.settings.lock().expect("poisoned").enabled);
        if moved || !enabled {
            proxy.stop().await;
        }
        if enabled {
            proxy.start().await?;
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
            proxy.start().await?;
        }
        tracing::info!("reset: every proxy enabled, every toxic removed");
        Ok(())
    }

    pub async fn toxics(&self, proxy: &str) -> Result<Vec<Toxic>, ApiError> {
        Ok(self.proxy(proxy).await?.toxics.borrow().as_ref().clone())
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
        let mut toxics = proxy.toxics.borrow().as_ref().clone();
        if toxics.iter().any(|t| t.name == toxic.name) {
            return Err(ApiError::toxic_exists());
        }
        toxics.push(toxic.clone());
        proxy.publish_toxics(toxics);
        tracing::info!(proxy = %proxy.name, toxic = %toxic.name, kind = %toxic.kind, stream = toxic.stream.as_str(), toxicity, attributes = %serde_json::Value::Object(toxic.attributes.clone()), "toxic added");
        Ok(toxic)
    }

    pub async fn update_toxic(&self, proxy: &str, name: &str, change: ToxicChange) -> Result<Toxic, ApiError> {
        let proxy = self.proxy(proxy).await?;
        let mut toxics = proxy.toxics.borrow().as_ref().clone();
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
        tracing::info!(proxy = %proxy.name, toxic = %updated.name, attributes = %serde_json::Value::Object(updated.attributes.clone()), "toxic changed");
        Ok(updated)
    }

    pub async fn remove_toxic(&self, proxy: &str, name: &str) -> Result<(), ApiError> {
        let proxy = self.proxy(proxy).await?;
        let mut toxics = proxy.toxics.borrow().as_ref().clone();
        let before = toxics.len();
        toxics.retain(|t| t.name != name);
        if toxics.len() == before {
            return Err(ApiError::toxic_not_found());
        }
        proxy.publish_toxics(toxics);
        tracing::info!(proxy = %proxy.name, toxic = name, "toxic removed");
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

/// The first and the longest pause after a failed accept.
const ACCEPT_PAUSE: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// Accepts connections until the task is aborted. A failed accept (above all
/// when the process is out of file descriptors) is counted, logged and
/// waited out with a pause that doubles up to a second: retried at once it
/// fails the same way, and the loop would spin a core while the connections
/// that could free descriptors get no time.
async fn accept_loop(proxy: Arc<Proxy>, listener: TcpListener) {
    let mut pause = ACCEPT_PAUSE.0;
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                pause = ACCEPT_PAUSE.0;
                tokio::spawn(link::serve(proxy.clone(), client));
            }
            Err(error) => {
                proxy.metrics.accept_errors.get_or_create(&ProxyLabels { proxy: proxy.name.clone() }).inc();
                tracing::warn!(proxy = %proxy.name, %error, pause_ms = pause.as_millis() as u64, "cannot accept a connection; pausing");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(ACCEPT_PAUSE.1);
            }
        }
    }
}
