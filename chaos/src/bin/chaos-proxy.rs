//! `chaos-proxy`: the fault-injection proxy.
//!
//! ```text
//! chaos-proxy [--host 127.0.0.1] [--port 8474] [--config proxies.json]
//! ```
//! Also from the environment: CHAOS_HOST, CHAOS_PORT, CHAOS_CONFIG. The
//! config file is a JSON array of proxies (`name`, `listen`, `upstream`,
//! `enabled`), as Toxiproxy's `-config`; Toxiproxy's one-dash spellings
//! (`-host`, `-port`, `-config`) are accepted too.

use std::ffi::OsString;

use chaos::proxy::control_api;
use chaos::proxy::model::NewProxy;
use clap::Parser;

/// The fault-injection proxy: a Toxiproxy-compatible control API, and the proxies it creates.
#[derive(Parser, Debug)]
#[command(name = "chaos-proxy", version)]
struct Cli {
    /// Address the control API listens on [env: CHAOS_HOST] [default: 127.0.0.1]
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// Port of the control API [env: CHAOS_PORT] [default: 8474]
    #[arg(long, value_name = "PORT")]
    port: Option<String>,
    /// JSON array of proxies to create at start-up (`name`, `listen`, `upstream`, `enabled`) [env: CHAOS_CONFIG]
    #[arg(long, value_name = "FILE")]
    config: Option<String>,
}

/// Toxiproxy's flags have one dash (`toxiproxy-server -config x`): those
/// spellings are rewritten to clap's two before parsing.
fn toxiproxy_spellings(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|arg| match arg.to_str() {
            Some(flag @ ("-host" | "-port" | "-config")) => format!("-{flag}").into(),
            _ => arg,
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse_from(toxiproxy_spellings(std::env::args_os()));
    let host = cli.host.or_else(|| std::env::var("CHAOS_HOST").ok()).unwrap_or_else(|| "127.0.0.1".into());
    let port = cli.port.or_else(|| std::env::var("CHAOS_PORT").ok()).unwrap_or_else(|| "8474".into());
    let config = cli.config.or_else(|| std::env::var("CHAOS_CONFIG").ok());
    let log_filter = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let settings = platform::config::TelemetrySettings::logs_only(&log_filter);
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(toxiproxy_spellings(args.iter().map(OsString::from)))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_flags_of_compose_and_of_toxiproxy_are_read() {
        let cli = parse(&["chaos-proxy", "--host", "0.0.0.0", "--port", "8474", "--config", "/etc/chaos/proxies.json"])
            .unwrap();
        assert_eq!(
            (cli.host.as_deref(), cli.port.as_deref(), cli.config.as_deref()),
            (Some("0.0.0.0"), Some("8474"), Some("/etc/chaos/proxies.json"))
        );
        let cli = parse(&["chaos-proxy", "-host", "127.0.0.1", "-port", "9000", "-config", "p.json"]).unwrap();
        assert_eq!(
            (cli.host.as_deref(), cli.port.as_deref(), cli.config.as_deref()),
            (Some("127.0.0.1"), Some("9000"), Some("p.json"))
        );
        let cli = parse(&["chaos-proxy"]).unwrap();
        assert_eq!((cli.host, cli.port, cli.config), (None, None, None), "left to the environment and defaults");
    }

    #[test]
    fn help_and_version_answer_and_a_wrong_flag_is_refused() {
        assert_eq!(parse(&["chaos-proxy", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse(&["chaos-proxy", "--version"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
        let error = parse(&["chaos-proxy", "--listen", "x"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
    }
}
