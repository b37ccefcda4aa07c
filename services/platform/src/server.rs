//! Service bootstrap: the middleware stack, the operational routes, binding,
//! and graceful shutdown (stop accepting, drain in-flight requests within a
//! grace period, then run the service's shutdown hooks such as closing pools).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use futures::future::BoxFuture;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::client::resilience::ResilienceMetrics;
use crate::client::{ClientSettings, ServiceClient};
use crate::config::ServerSettings;
use crate::health::{OpsState, ReadinessCheck, ops_routes};
use crate::metrics::{HttpClientMetrics, HttpServerMetrics, MetricsEndpoint, service_registry};
use crate::middleware;
use crate::shutdown::{StopSignal, Stopping};

type ShutdownHook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// Background tasks (consumers, the outbox relay) the shutdown waits for.
type Background = Vec<(&'static str, tokio::task::JoinHandle<()>)>;

/// What a service hands to the platform before it starts serving.
pub struct Service {
    name: &'static str,
    settings: ServerSettings,
    registry: Registry,
    checks: Vec<ReadinessCheck>,
    hooks: Vec<ShutdownHook>,
    background: Background,
    stop: StopSignal,
    client_metrics: Option<(HttpClientMetrics, ResilienceMetrics)>,
    /// The routes answer unknown paths themselves (the storefront's 404
    /// page); otherwise the JSON 404 of the API.
    own_fallback: bool,
    /// Requests may carry their `traceparent` in the query string.
    trace_context_from_query: bool,
}

impl Service {
    pub fn new(name: &'static str, settings: ServerSettings) -> Self {
        Self {
            name,
            settings,
            registry: service_registry(name),
            checks: Vec::new(),
            hooks: Vec::new(),
            background: Vec::new(),
            stop: StopSignal::new(),
            client_metrics: None,
            own_fallback: false,
            trace_context_from_query: false,
        }
    }

    /// A request may carry its `traceparent` in the query string (see
    /// [`middleware::traceparent_from_query`]): the storefront, whose
    /// browser spans start traces that links and forms must continue.
    pub fn trace_context_from_query(mut self) -> Self {
        self.trace_context_from_query = true;
        self
    }

    /// The routes given to [`Service::bind`] have a fallback of their own
    /// (a web page for unknown paths), which the API's JSON 404 must not replace.
    pub fn with_own_fallback(mut self) -> Self {
        self.own_fallback = true;
        self
    }

    /// Hears the service's SIGTERM: hand it to every background task, which
    /// stops taking new work when it fires.
    pub fn stopping(&self) -> Stopping {
        self.stop.stopping()
    }

    /// A service that owns a database, as most do: the database connected
    /// and migrated with the service's own `migrator`, then attached (see
    /// [`Service::with_database`]). The pool is returned for the routes.
    pub async fn with_own_database(
        name: &'static str,
        settings: crate::config::BaseSettings,
        migrator: &sqlx::migrate::Migrator,
    ) -> anyhow::Result<(Self, sqlx::PgPool)> {
        let pool = crate::db::connect_and_migrate(&settings.database, migrator).await?;
        Ok((Self::new(name, settings.server).with_database(pool.clone()), pool))
    }

    /// A background task that stops on [`Service::stopping`]: the shutdown
    /// waits for it (within the grace) before closing the database pool.
    pub fn run_beside(mut self, name: &'static str, task: tokio::task::JoinHandle<()>) -> Self {
        self.background.push((name, task));
        self
    }

    /// A client for a dependency, its calls recorded in this service's
    /// `http_client_request_duration_seconds`.
    pub async fn client(&mut self, settings: ClientSettings) -> ServiceClient {
        let (metrics, resilience) = match &self.client_metrics {
            Some(metrics) => metrics.clone(),
            None => {
                let metrics =
                    (HttpClientMetrics::register(&mut self.registry), ResilienceMetrics::register(&mut self.registry));
                self.client_metrics = Some(metrics.clone());
                metrics
            }
        };
        ServiceClient::with_metrics(settings, metrics, resilience).await
    }

    /// The registry to register the service's own metrics in.
    pub fn registry(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// A dependency `/ready` must check.
    pub fn check_ready(mut self, check: ReadinessCheck) -> Self {
        self.checks.push(check);
        self
    }

    /// Runs after in-flight requests have drained.
    pub fn on_shutdown<F>(mut self, hook: F) -> Self
    where
        F: FnOnce() -> BoxFuture<'static, ()> + Send + 'static,
    {
        self.hooks.push(Box::new(hook));
        self
    }

    /// The service's database: its pool usage goes to `/metrics`, `/ready`
    /// checks it, and it is closed after draining (clean disconnects).
    pub fn with_database(mut self, pool: sqlx::PgPool) -> Self {
        crate::db::PoolCollector::register(&mut self.registry, pool.clone());
        self.check_ready(ReadinessCheck::postgres(pool.clone()))
            .on_shutdown(move || Box::pin(async move { pool.close().await }))
    }

    /// Wraps the service's routes in the standard stack and binds the port.
    pub async fn bind(mut self, routes: Router) -> anyhow::Result<HttpServer> {
        let http_metrics = HttpServerMetrics::register(&mut self.registry, self.name);
        let draining = Arc::new(AtomicBool::new(false));
        let ops = OpsState {
            checks: Arc::new(self.checks),
            metrics: MetricsEndpoint(Arc::new(self.registry)),
            draining: draining.clone(),
        };
        let permits = Arc::new(Semaphore::new(self.settings.max_concurrent_requests));

        // Business routes get the protective limits; operational routes stay
        // answerable under overload so that probes and scrapes see it.
        let routes = if self.own_fallback { routes } else { routes.fallback(middleware::not_found) };
        let business = routes.layer(
            ServiceBuilder::new()
                // Refuse at once rather than queue when saturated.
                .layer(from_fn_with_state(permits, middleware::shed_load))
                // Bound the time any one request can hold resources.
                .layer(from_fn_with_state(self.settings.request_timeout, middleware::limit_time))
                // Bodies above the limit are refused (413) before being read.
                .layer(DefaultBodyLimit::max(self.settings.max_body_bytes)),
        );
        let app = business.merge(ops_routes(ops)).layer(
            ServiceBuilder::new()
                // Every request gets an id (kept if the caller sent one) ...
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                // ... which is echoed back so clients can quote it.
                .layer(PropagateRequestIdLayer::x_request_id())
                // A browser's trace context from a link or a form, where it
                // cannot send a header (opt-in).
                .option_layer(self.trace_context_from_query.then(|| from_fn(middleware::traceparent_from_query)))
                // Span, metrics and one log line per request.
                .layer(from_fn_with_state(http_metrics, middleware::observe_request))
                // A panicking handler answers 500 instead of dropping the connection.
                .layer(CatchPanicLayer::custom(middleware::panic_response))
                // Errors from the router or layers get the JSON error shape too.
                .layer(from_fn(middleware::ensure_json_errors)),
        );

        let address = SocketAddr::new(self.settings.host, self.settings.port);
        let listener =
            TcpListener::bind(address).await.map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        Ok(HttpServer {
            name: self.name,
            listener,
            app,
            settings: self.settings,
            draining,
            stop: self.stop,
            background: self.background,
            hooks: self.hooks,
        })
    }
}

/// A bound server, ready to run.
pub struct HttpServer {
    name: &'static str,
    listener: TcpListener,
    app: Router,
    settings: ServerSettings,
    draining: Arc<AtomicBool>,
    stop: StopSignal,
    background: Background,
    hooks: Vec<ShutdownHook>,
}

impl HttpServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then stops in this order, all
    /// within the grace period: `/ready` answers 503 and background tasks
    /// are told to stop, at once; new connections are still served for the
    /// shutdown delay, then refused; in-flight requests finish (or are cut
    /// when the grace runs out); background tasks are waited for; the
    /// service's hooks run (the pool closes last).
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { name, listener, app, settings, draining, stop, background, hooks } = self;
        tracing::info!(service = name, address = %listener.local_addr()?, "listening");

        // When the shutdown began: the grace period counts from there.
        let (started_tx, started_rx) = tokio::sync::watch::channel(None::<tokio::time::Instant>);
        let delay = settings.shutdown_delay;
        let signal = async move {
            shutdown.await;
            draining.store(true, Ordering::Relaxed);
            stop.stop();
            let _ = started_tx.send(Some(tokio::time::Instant::now()));
            tracing::info!(
                service = name,
                ?delay,
                "shutdown requested: not ready, refusing new connections after the delay"
            );
            // No timer for no delay: the listener closes in this very poll.
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            tracing::info!(service = name, "refusing new connections, draining in-flight requests");
        };
        let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal);
        let grace = settings.shutdown_grace;
        let mut deadline_rx = started_rx.clone();
        let grace_expired = async move {
            match deadline_rx.wait_for(Option::is_some).await.map(|started| (*started).expect("waited for")) {
                Ok(started) => tokio::time::sleep_until(started + grace).await,
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            result = serve.into_future() => result?,
            () = grace_expired => {
                tracing::warn!(service = name, ?grace, "grace period over, closing remaining connections");
            }
        }
        let started = *started_rx.borrow();
        let deadline = started.unwrap_or_else(tokio::time::Instant::now) + grace;
        for (task, handle) in background {
            // Each task was told to stop when the shutdown began; one that
            // does not finish within the grace is left to the process exit.
            match tokio::time::timeout_at(deadline, handle).await {
                Ok(_) => tracing::info!(service = name, task, "background task stopped"),
                Err(_) => tracing::warn!(service = name, task, "background task still running after the grace"),
            }
        }
        for hook in hooks {
            hook().await;
        }
        tracing::info!(service = name, "stopped");
        Ok(())
    }
}

/// Completes on SIGTERM (orchestrators) or Ctrl-C (terminals).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
