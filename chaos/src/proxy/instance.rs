//! One named proxy: where it listens, where it forwards, its toxics, and its
//! listener. Open connections watch two things of it: the toxic list (a
//! toxic added now acts on them) and a generation counter, bumped to close
//! them all when the proxy is disabled or moved.
//!
//! What a connection does with its bytes is not known here: `start` is given
//! the function that serves one (`link::serve`), so this module does not
//! depend on the connection code that depends on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::ApiError;
use super::metrics::{FaultLabels, ProxyLabels, ProxyMetrics};
use super::model::{ProxyView, Toxic};

struct Settings {
    listen: String,
    upstream: String,
    enabled: bool,
    /// The address the listener got (a configured port 0 becomes a real one).
    bound: Option<String>,
    listener: Option<JoinHandle<()>>,
}

pub struct Proxy {
    name: String,
    settings: Mutex<Settings>,
    /// The toxics, in the order they were added (they apply in that order).
    toxics: watch::Sender<Arc<Vec<Toxic>>>,
    /// Bumped to close every open connection.
    generation: watch::Sender<u64>,
    metrics: ProxyMetrics,
}

impl Proxy {
    /// A proxy not listening yet (see [`Proxy::start`]), with no toxics.
    pub(super) fn new(name: String, listen: String, upstream: String, metrics: ProxyMetrics) -> Arc<Self> {
        let settings = Settings { listen, upstream, enabled: false, bound: None, listener: None };
        let proxy = Self {
            name,
            settings: Mutex::new(settings),
            toxics: watch::channel(Arc::new(Vec::new())).0,
            generation: watch::channel(0).0,
            metrics,
        };
        proxy.metrics.enabled.get_or_create(&proxy.labels()).set(0);
        Arc::new(proxy)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn metrics(&self) -> &ProxyMetrics {
        &self.metrics
    }

    pub(super) fn labels(&self) -> ProxyLabels {
        ProxyLabels { proxy: self.name.clone() }
    }

    pub(super) fn upstream(&self) -> String {
        self.settings.lock().expect("poisoned").upstream.clone()
    }

    pub(super) fn is_enabled(&self) -> bool {
        self.settings.lock().expect("poisoned").enabled
    }

    pub(super) fn view(&self) -> ProxyView {
        let settings = self.settings.lock().expect("poisoned");
        ProxyView {
            name: self.name.clone(),
            listen: settings.bound.clone().unwrap_or_else(|| settings.listen.clone()),
            upstream: settings.upstream.clone(),
            enabled: settings.enabled,
            toxics: self.toxics.borrow().as_ref().clone(),
        }
    }

    /// Sets a new listen address and/or upstream; true when either changed
    /// (the caller then restarts the proxy, closing its connections).
    pub(super) fn move_to(&self, listen: Option<String>, upstream: Option<String>) -> bool {
        let mut settings = self.settings.lock().expect("poisoned");
        let mut moved = false;
        if let Some(listen) = listen.filter(|l| *l != settings.listen && Some(l) != settings.bound.as_ref()) {
            settings.listen = listen;
            moved = true;
        }
        if let Some(upstream) = upstream.filter(|u| *u != settings.upstream) {
            settings.upstream = upstream;
            moved = true;
        }
        moved
    }

    /// The toxics now.
    pub(super) fn toxics(&self) -> Arc<Vec<Toxic>> {
        self.toxics.borrow().clone()
    }

    /// The toxics now and whenever they change.
    pub(super) fn watch_toxics(&self) -> watch::Receiver<Arc<Vec<Toxic>>> {
        self.toxics.subscribe()
    }

    /// Changes when every open connection must close.
    pub(super) fn watch_closings(&self) -> watch::Receiver<u64> {
        let mut closings = self.generation.subscribe();
        closings.borrow_and_update();
        closings
    }

    pub(super) fn publish_toxics(&self, toxics: Vec<Toxic>) {
        let old = self.toxics.borrow().clone();
        for toxic in old.iter() {
            self.metrics.active_toxics.get_or_create(&self.fault_labels(toxic)).set(0);
        }
        for toxic in &toxics {
            self.metrics.active_toxics.get_or_create(&self.fault_labels(toxic)).set(1);
        }
        self.toxics.send_replace(Arc::new(toxics));
    }

    fn fault_labels(&self, toxic: &Toxic) -> FaultLabels {
        FaultLabels { proxy: self.name.clone(), toxic: toxic.name.clone(), kind: toxic.kind.clone() }
    }

    /// Counts one use of a toxic.
    pub(super) fn fault(&self, toxic: &str, kind: &str) {
        self.metrics.fault(&self.name, toxic, kind);
    }

    /// Listens (if not already) and serves each connection with `serve`.
    pub(super) async fn start<F, Fut>(self: &Arc<Self>, serve: F) -> Result<(), ApiError>
    where
        F: Fn(Arc<Proxy>, TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
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
        let task = tokio::spawn(accept_loop(self.clone(), listener, serve));
        let mut settings = self.settings.lock().expect("poisoned");
        // A port 0 became a real port: keep it, so a proxy disabled and
        // enabled again listens where it did (as Toxiproxy does).
        if let Some(bound) = &bound {
            settings.listen = bound.clone();
        }
        settings.bound = bound;
        settings.listener = Some(task);
        settings.enabled = true;
        self.metrics.enabled.get_or_create(&self.labels()).set(1);
        tracing::info!(proxy = %self.name, listen = ?settings.bound, upstream = %settings.upstream, "proxy listening");
        Ok(())
    }

    /// Stops listening (new connections are refused) and closes open ones.
    pub(super) async fn stop(&self) {
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
        self.generation.send_modify(|g| *g += 1);
        self.metrics.enabled.get_or_create(&self.labels()).set(0);
        tracing::info!(proxy = %self.name, "proxy disabled");
    }
}

/// The first and the longest pause after a failed accept.
const ACCEPT_PAUSE: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// Accepts connections until the task is aborted. A failed accept (above all
/// when the process is out of file descriptors) is counted, logged and
/// waited out with a pause that doubles up to a second: retried at once it
/// fails the same way, and the loop would spin a core while the connections
/// that could free descriptors get no time.
async fn accept_loop<F, Fut>(proxy: Arc<Proxy>, listener: TcpListener, serve: F)
where
    F: Fn(Arc<Proxy>, TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut pause = ACCEPT_PAUSE.0;
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                pause = ACCEPT_PAUSE.0;
                tokio::spawn(serve(proxy.clone(), client));
            }
            Err(error) => {
                proxy.metrics.accept_errors.get_or_create(&proxy.labels()).inc();
                tracing::warn!(proxy = %proxy.name, %error, pause_ms = pause.as_millis() as u64, "cannot accept a connection; pausing");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(ACCEPT_PAUSE.1);
            }
        }
    }
}
