//! `/ready` follows every required dependency of every service: 503 in the
//! JSON error shape while one is down, 200 once it is back. Each service
//! runs on its own here, reaching the required dependency through a relay
//! the test cuts and restores; optional dependencies (other services, the
//! simulators) point at a closed port, so they are reported but never
//! decide.

use std::time::Duration;

use gateway::configuration::Upstreams;
use platform::client::ClientSettings;
use platform::config::DatabaseSettings;
use platform::messaging::BrokerSettings;
use platform::test_util::{
    TcpRelay, authority_of, closed_port, eventually, fresh_broker, fresh_database, init_test_logs, serve, via_relay,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// Long enough for a pool or a broker connection to notice a cut and for
/// `/ready`'s own 2 s check timeout, short enough to fail a broken test soon.
const WITHIN: Duration = Duration::from_secs(30);

/// Where nobody answers: optional checks of a dependency there fail, fast.
fn nowhere() -> String {
    format!("http://{}", closed_port())
}

/// A fresh database, reached through a relay.
async fn relayed_database(prefix: &str) -> (DatabaseSettings, TcpRelay) {
    let database = fresh_database(prefix).await;
    let relay = TcpRelay::start(authority_of(database.url.expose_secret())).await;
    let url = SecretString::from(via_relay(database.url.expose_secret(), &relay));
    (DatabaseSettings { url, acquire_timeout: Duration::from_secs(1), ..database }, relay)
}

async fn relayed_broker() -> (BrokerSettings, TcpRelay) {
    let broker = fresh_broker().await;
    let relay = TcpRelay::start(authority_of(broker.url.expose_secret())).await;
    (BrokerSettings { url: SecretString::from(via_relay(broker.url.expose_secret(), &relay)) }, relay)
}

/// `/ready`'s status and JSON body.
async fn ready(service_url: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{service_url}/ready")).await.expect("the service answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("/ready answers JSON"))
}

/// A required dependency of one service, and the relay that takes it away.
struct Case {
    service: &'static str,
    url: String,
    /// The check's name in `/ready`.
    check: &'static str,
    relay: TcpRelay,
}

impl Case {
    async fn assert_ready(&self, when: &str) {
        let what = format!("{}: /ready 200 {when}", self.service);
        eventually(&what, WITHIN, || async { ready(&self.url).await.0 == 200 }).await;
        let (_, body) = ready(&self.url).await;
        assert_eq!(body["checks"][self.check], "ok", "{what}: {body}");
    }

    async fn assert_not_ready(&self) {
        let what = format!("{}: /ready 503 while {} is down", self.service, self.check);
        eventually(&what, WITHIN, || async { ready(&self.url).await.0 == 503 }).await;
        let (status, body) = ready(&self.url).await;
        assert_eq!(status, 503, "{what}: {body}");
        let shape: platform::error::ErrorBody = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("{what}: not the JSON error shape ({e}): {body}"));
        assert_eq!(shape.error.code, "not_ready", "{what}: {body}");
        assert!(shape.error.message.contains(self.check), "{what}: the message names the check: {body}");
        let check = body["checks"][self.check].as_str().unwrap_or_default();
        assert!(check.starts_with("error"), "{what}: {body}");
    }
}

#[tokio::test]
async fn every_service_is_unready_while_a_required_dependency_is_down_and_ready_when_it_returns() {
    init_test_logs();
    let mut cases = Vec::new();
    // Orders and inventory need the broker only for events: it is optional
    // for them, and they get it directly.
    let broker = fresh_broker().await;

    let (database, relay) = relayed_database("users").await;
    let url = serve(users::startup::build(users::configuration::Settings::for_tests(database)).await).url();
    cases.push(Case { service: "users", url, check: "postgres", relay });

    let (database, relay) = relayed_database("auth").await;
    let settings = auth::configuration::Settings {
        bootstrap_admin: None,
        ..auth::configuration::Settings::for_tests(database, nowhere())
    };
    let url = serve(auth::startup::build(settings).await).url();
    cases.push(Case { service: "auth", url, check: "postgres", relay });

    let (database, relay) = relayed_database("catalog").await;
    let url = serve(catalog::startup::build(catalog::configuration::Settings::for_tests(database)).await).url();
    cases.push(Case { service: "catalog", url, check: "postgres", relay });

    let (database, relay) = relayed_database("inventory").await;
    let settings = inventory::configuration::Settings::for_tests(database, broker.clone());
    let url = serve(inventory::startup::build(settings).await).url();
    cases.push(Case { service: "inventory", url, check: "postgres", relay });

    let (database, relay) = relayed_database("orders").await;
    let upstreams =
        orders::configuration::TestUpstreams { catalog: nowhere(), inventory: nowhere(), payments: nowhere() };
    let settings = orders::configuration::Settings::for_tests(database, broker.clone(), &upstreams);
    let url = serve(orders::startup::build(settings).await).url();
    cases.push(Case { service: "orders", url, check: "postgres", relay });

    let (database, relay) = relayed_database("payments").await;
    let settings = payments::configuration::Settings::for_tests(database, nowhere());
    let url = serve(payments::startup::build(settings).await).url();
    cases.push(Case { service: "payments", url, check: "postgres", relay });

    // Notifications cannot work without either: two cases on one instance.
    let (database, database_relay) = relayed_database("notifications").await;
    let (notifications_broker, broker_relay) = relayed_broker().await;
    let settings =
        notifications::configuration::Settings::for_tests(database, notifications_broker, nowhere(), nowhere());
    let url = serve(notifications::startup::build(settings).await).url();
    cases.push(Case { service: "notifications", url: url.clone(), check: "postgres", relay: database_relay });
    cases.push(Case { service: "notifications", url, check: "broker", relay: broker_relay });

    for case in &cases {
        case.assert_ready("with every required dependency up").await;
        case.relay.cut();
        case.assert_not_ready().await;
        case.relay.restore();
        case.assert_ready(&format!("once {} is back", case.check)).await;
    }
}

/// The gateway's one required dependency is auth's signing keys, and once
/// it holds them it keeps them (tokens stay verifiable while auth is down):
/// the outage that can make it unready is auth being unreachable before the
/// keys were ever loaded.
#[tokio::test]
async fn the_gateway_is_unready_until_it_can_load_the_signing_keys() {
    init_test_logs();
    let settings = auth::configuration::Settings {
        bootstrap_admin: None,
        ..auth::configuration::Settings::for_tests(fresh_database("auth").await, nowhere())
    };
    let auth = serve(auth::startup::build(settings).await).url();
    let relay = TcpRelay::start(authority_of(&auth)).await;
    relay.cut();
    let upstreams = Upstreams {
        // A failed instance is not ejected for long: the test waits for its return.
        auth: ClientSettings {
            eject_for: Duration::from_millis(200),
            ..ClientSettings::fixed("auth", via_relay(&auth, &relay))
        },
        ..Upstreams::unreachable()
    };
    let mut settings = gateway::configuration::Settings::for_tests(upstreams);
    settings.cache.enabled = false;
    settings.jwks_min_refresh = Duration::from_millis(100);
    let url = serve(gateway::startup::build(settings).await).url();
    let case = Case { service: "gateway", url, check: "jwks", relay };

    case.assert_not_ready().await;
    case.relay.restore();
    case.assert_ready("once auth answers").await;
    // The keys are held now: auth going away again leaves the gateway ready.
    case.relay.cut();
    let (status, body) = ready(&case.url).await;
    assert_eq!((status, &body["checks"]["jwks"]), (200, &Value::from("ok")), "{body}");
}
