//! `chaos-proxy`: the fault-injection proxy.
//!
//! ```text
//! chaos-proxy [--host 0.0.0.0] [--port 8474] [--config proxies.json]
//! ```
//! Also from the environment: CHAOS_HOST, CHAOS_PORT, CHAOS_CONFIG. The
//! config file is a JSON array of proxies (`name`, `listen`, `upstream`,
//! `enabled`), as Toxiproxy's `-config`.

use chaos::proxy::control_api;
use chaos::proxy::model::NewProxy;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut host = std::env::var("CHAOS_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let mut port = std::env::var("CHAOS_PORT").unwrap_or_else(|_| "8474".into());
    let mut config = std::env::var("CHAOS_CONFIG").ok();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--host" | "-host" => host = args.next().unwrap_or(host),
            "--port" | "-port" => port = args.next().unwrap_or(port),
            "--config" | "-config" => config = args.next(),
            other => {
                anyhow::bail!("unknown argument {other}; usage: chaos-proxy [--host H] [--port P] [--config FILE]")
            }
        }
    }
    let log_filter = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let settings = platform::config::TelemetrySettings { log_filter, traces: None };
    let _telemetry = platform::telemetry::init_telemetry("chaos-proxy", &settings);

    let (registry, api) = control_api();
    if let Some(path) = config {
        let proxies: Vec<NewProxy> = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let created = registry.populate(proxies).await.map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        tracing::info!(config = %path, proxies = created.len(), "proxies populated from the config file");
    }
    let address = format!("{host}:{port}");
    let listener = tokio::net::TcpListener::bind(&address).await?;
    tracing::info!(%address, "chaos-proxy API listening");
    axum::serve(listener, api).with_graceful_shutdown(platform::server::shutdown_signal()).await?;
    Ok(())
}
