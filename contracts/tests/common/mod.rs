//! What the contract tests share: where pact files go, a client built the
//! way the services build theirs, and the verifier's fixed settings.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use pact_models::provider_states::ProviderState;
use serde_json::Value;

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

/// Puts an interaction's provider state in place before it is replayed:
/// all that the providers here need of pact's `ProviderStateExecutor` (no
/// teardown, no interaction id). Returns values the request may refer to.
#[async_trait::async_trait]
pub trait SetUp: Send + Sync + 'static {
    async fn set_up(&self, state: &ProviderState) -> anyhow::Result<HashMap<String, Value>>;
}

/// A provider whose interactions need no state.
pub struct NoStates;

#[async_trait::async_trait]
impl SetUp for NoStates {
    async fn set_up(&self, _: &ProviderState) -> anyhow::Result<HashMap<String, Value>> {
        Ok(HashMap::new())
    }
}

/// A [`SetUp`] as pact's executor.
struct States<T>(Arc<T>);

impl<T> std::fmt::Debug for States<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("provider states")
    }
}

#[async_trait::async_trait]
impl<T: SetUp> pact_verifier::callback_executors::ProviderStateExecutor for States<T> {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        state: &ProviderState,
        setup: bool,
        _client: Option<&reqwest::Client>,
    ) -> anyhow::Result<HashMap<String, Value>> {
        if !setup {
            return Ok(HashMap::new());
        }
        self.0.set_up(state).await
    }

    fn teardown(&self) -> bool {
        false
    }
}

/// Replays the committed pacts of `provider` against it at `base_url`
/// (`http://127.0.0.1:port`); returns the verifier's outcome.
pub async fn verify(provider: &str, base_url: &str) -> pact_verifier::verification_result::VerificationExecutionResult {
    verify_with_states(provider, base_url, Arc::new(NoStates)).await
}

/// As [`verify`], with `states` putting each interaction's provider states in place.
pub async fn verify_with_states<S: SetUp>(
    provider: &str,
    base_url: &str,
    states: Arc<S>,
) -> pact_verifier::verification_result::VerificationExecutionResult {
    verify_all(provider, base_url, None, states).await
}

/// Replays every pact naming `provider`: HTTP interactions against
/// `base_url`, message interactions (if `messages_url` is given) by asking
/// it for the message the provider would publish (the verifier POSTs
/// `{"description", "providerStates"}` and compares the answer's body).
pub async fn verify_all<S: SetUp>(
    provider: &str,
    base_url: &str,
    messages_url: Option<&str>,
    states: Arc<S>,
) -> pact_verifier::verification_result::VerificationExecutionResult {
    let broker = broker::from_env();
    let sources = match &broker {
        Some(broker) => vec![broker.source(provider)],
        None => pact_files(|name| name.ends_with(&format!("-{provider}.json"))),
    };
    let publish = broker.as_ref().map(broker::Broker::publish_options);
    verify_sources(provider, base_url, messages_url, sources, publish, states).await
}

/// The committed pact files whose names pass `keep`.
pub fn pact_files(keep: impl Fn(&str) -> bool) -> Vec<pact_verifier::PactSource> {
    std::fs::read_dir(pacts_dir())
        .expect("contracts/pacts exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.file_name().is_some_and(|n| keep(&n.to_string_lossy())))
        .map(|path| pact_verifier::PactSource::File(path.display().to_string()))
        .collect()
}

/// Replays `sources` against the provider (see [`verify_all`]).
pub async fn verify_sources<S: SetUp>(
    provider: &str,
    base_url: &str,
    messages_url: Option<&str>,
    sources: Vec<pact_verifier::PactSource>,
    publish: Option<pact_verifier::PublishOptions>,
    states: Arc<S>,
) -> pact_verifier::verification_result::VerificationExecutionResult {
    use pact_verifier::callback_executors::NullRequestFilterExecutor;
    use pact_verifier::{FilterInfo, ProviderInfo, ProviderTransport, VerificationOptions};
    install_crypto_provider();

    let transport = |kind: &str, url: &str| {
        let (_, port) = reqwest_free_url(url);
        ProviderTransport { transport: kind.into(), port: Some(port), path: None, scheme: Some("http".into()) }
    };
    let mut transports = vec![transport("http", base_url)];
    transports.extend(messages_url.map(|url| transport("message", url)));
    let provider_info = ProviderInfo {
        name: provider.to_owned(),
        host: reqwest_free_url(base_url).0,
        transports,
        ..ProviderInfo::default()
    };
    assert!(!sources.is_empty(), "no pact names {provider} as its provider");
    let options: VerificationOptions<NullRequestFilterExecutor> =
        VerificationOptions { coloured_output: false, ..VerificationOptions::default() };
    pact_verifier::verify_provider_async(
        provider_info,
        sources,
        FilterInfo::None,
        vec![],
        &options,
        publish.as_ref(),
        &Arc::new(States(states)),
        None,
    )
    .await
    .expect("the verifier runs")
}

pub mod broker {
    //! With `PACT_BROKER_URL` set, pacts come from the broker (the latest
    //! of each consumer's main branch and whatever is deployed) instead of
    //! `contracts/pacts/`, and results go back to it under this commit.

    use pact_verifier::{PactSource, PublishOptions};

    pub struct Broker {
        url: String,
        auth: Option<pact_models::http_utils::HttpAuth>,
    }

    pub fn from_env() -> Option<Broker> {
        let url = std::env::var("PACT_BROKER_URL").ok().filter(|u| !u.is_empty())?;
        let auth = match (std::env::var("PACT_BROKER_USERNAME"), std::env::var("PACT_BROKER_PASSWORD")) {
            (Ok(user), password) => Some(pact_models::http_utils::HttpAuth::User(user, password.ok())),
            _ => std::env::var("PACT_BROKER_TOKEN").ok().map(pact_models::http_utils::HttpAuth::Token),
        };
        Some(Broker { url, auth })
    }

    /// `git <args>` in the repository, trimmed; `None` outside a checkout.
    pub fn git(args: &[&str]) -> Option<String> {
        let output = std::process::Command::new("git").args(args).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    impl Broker {
        pub fn source(&self, provider: &str) -> PactSource {
            PactSource::BrokerWithDynamicConfiguration {
                provider_name: provider.to_owned(),
                broker_url: self.url.clone(),
                enable_pending: true,
                include_wip_pacts_since: None,
                provider_tags: vec![],
                provider_branch: git(&["rev-parse", "--abbrev-ref", "HEAD"]),
                selectors: pact_verifier::selectors::json_to_selectors(vec![
                    serde_json::json!({ "mainBranch": true }),
                    serde_json::json!({ "deployedOrReleased": true }),
                ]),
                auth: self.auth.clone(),
                links: vec![],
            }
        }

        /// Results are recorded against this commit and branch.
        pub fn publish_options(&self) -> PublishOptions {
            PublishOptions {
                provider_version: git(&["rev-parse", "--short=12", "HEAD"]),
                build_url: std::env::var("CI_BUILD_URL").ok(),
                provider_tags: vec![],
                provider_branch: git(&["rev-parse", "--abbrev-ref", "HEAD"]),
            }
        }
    }
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

/// Matches any UUID (ids the consumer only passes around).
pub const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
/// Matches an RFC 3339 UTC timestamp as the services write them.
pub const TIMESTAMP: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$";

/// An order event as it travels over the broker: the envelope every
/// consumer reads (`platform::messaging::envelope`) around `data`.
pub fn order_event(
    event_type: &str,
    order: &str,
    data: pact_consumer::patterns::JsonPattern,
) -> pact_consumer::patterns::JsonPattern {
    use pact_consumer::prelude::*;
    let message_id = if event_type == "order.confirmed" {
        "0190c0de-0000-7000-8000-00000000f001"
    } else {
        "0190c0de-0000-7000-8000-00000000f002"
    };
    json_pattern!({
        "message_id": term!(UUID, message_id),
        "event_type": event_type,
        // Consumers refuse newer versions: the version is part of the contract.
        "schema_version": 1,
        "occurred_at": term!(TIMESTAMP, "2026-11-25T10:00:00.123456Z"),
        "aggregate_id": term!(UUID, order),
        "data": data,
    })
}
