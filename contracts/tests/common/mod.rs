//! What the contract tests share: where pact files go, a client built the
//! way the services build theirs, and the verifier's fixed settings.

#![allow(dead_code)]

use std::path::PathBuf;

use platform::client::resilience::ResilienceMetrics;
use platform::client::{ClientSettings, ServiceClient};
use platform::metrics::HttpClientMetrics;

/// `contracts/pacts/`: committed, so a contract change shows in a diff.
pub fn pacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pacts")
}

/// The consumer's real client stack (timeouts, retries, breaker), pointed
/// at the pact mock server.
pub async fn client(name: &'static str, url: &str) -> ServiceClient {
    install_crypto_provider();
    let mut settings = ClientSettings::fixed(name, url.trim_end_matches('/').to_owned());
    settings.resilience.retries = 0;
    ServiceClient::with_metrics(settings, HttpClientMetrics::detached(), ResilienceMetrics::default()).await
}

/// Replays the committed pacts of `provider` against it at `base_url`
/// (`http://127.0.0.1:port`); returns the verifier's outcome.
pub async fn verify(provider: &str, base_url: &str) -> pact_verifier::verification_result::VerificationExecutionResult {
    let no_states = std::sync::Arc::new(pact_verifier::callback_executors::HttpRequestProviderStateExecutor::default());
    verify_with_states(provider, base_url, no_states).await
}

/// As [`verify`], with `states` putting each interaction's provider states in place.
pub async fn verify_with_states<S: pact_verifier::callback_executors::ProviderStateExecutor + Send + Sync + 'static>(
    provider: &str,
    base_url: &str,
    states: std::sync::Arc<S>,
) -> pact_verifier::verification_result::VerificationExecutionResult {
    use pact_verifier::callback_executors::NullRequestFilterExecutor;
    use pact_verifier::{FilterInfo, PactSource, ProviderInfo, ProviderTransport, VerificationOptions};
    install_crypto_provider();

    let url = reqwest_free_url(base_url);
    let provider_info = ProviderInfo {
        name: provider.to_owned(),
        host: url.0,
        transports: vec![ProviderTransport {
            transport: "http".into(),
            port: Some(url.1),
            path: None,
            scheme: Some("http".into()),
        }],
        ..ProviderInfo::default()
    };
    let sources: Vec<PactSource> = std::fs::read_dir(pacts_dir())
        .expect("contracts/pacts exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.file_name().is_some_and(|n| n.to_string_lossy().ends_with(&format!("-{provider}.json"))))
        .map(|path| PactSource::File(path.display().to_string()))
        .collect();
    assert!(!sources.is_empty(), "no pact names {provider} as its provider");
    let options: VerificationOptions<NullRequestFilterExecutor> =
        VerificationOptions { coloured_output: false, ..VerificationOptions::default() };
    pact_verifier::verify_provider_async(
        provider_info,
        sources,
        FilterInfo::None,
        vec![],
        &options,
        None,
        &states,
        None,
    )
    .await
    .expect("the verifier runs")
}

/// `http://host:port` → (host, port).
fn reqwest_free_url(base_url: &str) -> (String, u16) {
    let authority = base_url.trim_start_matches("http://").trim_end_matches('/');
    let (host, port) = authority.rsplit_once(':').expect("host:port");
    (host.to_owned(), port.parse().expect("a port"))
}

/// Pact brings a second rustls crypto provider into the build, and then
/// rustls cannot pick one by itself: name one (the services' own builds
/// have only one and never need this).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A simulator that never fails, declines or waits on its own: the pacts
/// say when it declines (`tok_decline`).
pub fn no_faults() -> simulators::behaviour::Behaviour {
    simulators::behaviour::Behaviour { latency_ms: 0, jitter_ms: 0, failure_rate: 0.0, decline_rate: 0.0 }
}

/// Serves a built simulator in the background; returns its base URL.
pub fn serve_simulator(server: anyhow::Result<platform::server::HttpServer>) -> String {
    let server = server.expect("the simulator builds");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    url
}
