//! `/ready` follows every required dependency of every service: 503 in the
//! JSON error shape while one is down, 200 once it is back. Each service
//! runs on its own here, reaching the required dependency through a relay
//! the test cuts and restores; optional dependencies (other services, the
//! simulators) point at a closed port, so they are reported but never
//! decide.

use std::time::Duration;

use platform::client::ClientSettings;
use platform::config::{DatabaseSettings, ServerSettings, TelemetrySettings};
use platform::messaging::BrokerSettings;
use platform::server::HttpServer;
use platform::test_util::{
    TcpRelay, authority_of, closed_port, eventually, fresh_broker, fresh_database, init_test_logs, serve_in_background,
    via_relay,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// Long enough for a pool or a broker connection to notice a cut and for
/// `/ready`'s own 2 s check timeout, short enough to fail a broken test soon.
const WITHIN: Duration = Duration::from_secs(30);

fn quiet() -> TelemetrySettings {
    TelemetrySettings::for_tests()
}

/// A dependency nobody answers for: optional checks fail, fast.
fn nowhere(name: &'static str) -> ClientSettings {
    ClientSettings::fixed(name, format!("http://{}", closed_port()))
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

/// Runs a built service for the rest of the test; its base URL.
fn serve(app: anyhow::Result<HttpServer>) -> String {
    let app = app.expect("service builds");
    let url = format!("http://{}", app.local_addr());
    serve_in_background(app.run_until(std::future::pending()));
    url
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
    let url = serve(
        users::startup::build(users::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
        })
        .await,
    );
    cases.push(Case { service: "users", url, check: "postgres", relay });

    let (database, relay) = relayed_database("auth").await;
    let url = serve(
        auth::startup::build(auth::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
            users: nowhere("users"),
            tokens: auth::configuration::TokenSettings {
                signing_key_pem: None,
                access_ttl: Duration::from_secs(900),
                refresh_ttl: Duration::from_secs(3600),
            },
            password_cost: auth::passwords::HashCost { memory_kib: 1024, iterations: 1 },
            bootstrap_admin: None,
        })
        .await,
    );
    cases.push(Case { service: "auth", url, check: "postgres", relay });

    let (database, relay) = relayed_database("catalog").await;
    let url = serve(
        catalog::startup::build(catalog::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
        })
        .await,
    );
    cases.push(Case { service: "catalog", url, check: "postgres", relay });

    let (database, relay) = relayed_database("inventory").await;
    let url = serve(
        inventory::startup::build(inventory::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
            broker: broker.clone(),
            reservation_ttl: Duration::from_secs(600),
            expiry_sweep: Duration::from_secs(1),
        })
        .await,
    );
    cases.push(Case { service: "inventory", url, check: "postgres", relay });

    let (database, relay) = relayed_database("orders").await;
    let url = serve(
        orders::startup::build(orders::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
            broker: broker.clone(),
            catalog: nowhere("catalog"),
            inventory: nowhere("inventory"),
            payments: nowhere("payments"),
            saga: orders::configuration::SagaSettings {
                checkout_wait: Duration::from_secs(10),
                lease: Duration::from_millis(500),
                retry_base: Duration::from_millis(100),
                recovery_sweep: Duration::from_millis(100),
                halt_after: None,
            },
        })
        .await,
    );
    cases.push(Case { service: "orders", url, check: "postgres", relay });

    let (database, relay) = relayed_database("payments").await;
    let url = serve(
        payments::startup::build(payments::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
            provider: nowhere("payment-provider"),
        })
        .await,
    );
    cases.push(Case { service: "payments", url, check: "postgres", relay });

    // Notifications cannot work without either: two cases on one instance.
    let (database, database_relay) = relayed_database("notifications").await;
    let (notifications_broker, broker_relay) = relayed_broker().await;
    let url = serve(
        notifications::startup::build(notifications::configuration::Settings {
            server: ServerSettings::for_tests(),
            database,
            telemetry: quiet(),
            broker: notifications_broker,
            users: nowhere("users"),
            email: nowhere("email-api"),
        })
        .await,
    );
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
    let auth = serve(
        auth::startup::build(auth::configuration::Settings {
            server: ServerSettings::for_tests(),
            database: fresh_database("auth").await,
            telemetry: quiet(),
            users: nowhere("users"),
            tokens: auth::configuration::TokenSettings {
                signing_key_pem: None,
                access_ttl: Duration::from_secs(900),
                refresh_ttl: Duration::from_secs(3600),
            },
            password_cost: auth::passwords::HashCost { memory_kib: 1024, iterations: 1 },
            bootstrap_admin: None,
        })
        .await,
    );
    let relay = TcpRelay::start(authority_of(&auth)).await;
    relay.cut();
    let url = serve(
        gateway::startup::build(gateway::configuration::Settings {
            server: ServerSettings::for_tests(),
            telemetry: quiet(),
            upstreams: gateway::configuration::Upstreams {
                // A failed instance is not ejected for long: the test waits for its return.
                auth: ClientSettings {
                    eject_for: Duration::from_millis(200),
                    ..ClientSettings::fixed("auth", via_relay(&auth, &relay))
                },
                users: nowhere("users"),
                catalog: nowhere("catalog"),
                inventory: nowhere("inventory"),
                orders: nowhere("orders"),
                notifications: nowhere("notifications"),
            },
            rate_limit: gateway::configuration::RateLimitSettings {
                replenish_every: Duration::from_micros(100),
                burst: 10_000.try_into().unwrap(),
            },
            cache: gateway::configuration::CacheSettings {
                enabled: false,
                fresh_for: Duration::from_secs(1),
                keep_stale_for: Duration::from_secs(60),
                max_bytes: 1 << 20,
            },
            jwks_min_refresh: Duration::from_millis(100),
        })
        .await,
    );
    let case = Case { service: "gateway", url, check: "jwks", relay };

    case.assert_not_ready().await;
    case.relay.restore();
    case.assert_ready("once auth answers").await;
    // The keys are held now: auth going away again leaves the gateway ready.
    case.relay.cut();
    let (status, body) = ready(&case.url).await;
    assert_eq!((status, &body["checks"]["jwks"]), (200, &Value::from("ok")), "{body}");
}
