//! The whole shop, started in-process for end-to-end tests: every service on
//! its own random port on 127.0.0.1 with its own fresh database on the
//! shared test Postgres, one fresh RabbitMQ virtual host, the payment
//! provider and e-mail simulators, the gateway in front, and the storefront
//! in front of the gateway.

pub mod browser;
pub mod proxied;

use std::time::Duration;

use gateway::configuration::{RateLimitSettings, Upstreams};
use orders::configuration::TestUpstreams;
use orders::saga::Step;
use platform::client::ClientSettings;
use platform::config::DatabaseSettings;
use platform::messaging::BrokerSettings;
use platform::test_util::{
    Served, TcpRelay, TestClient, authority_of, fresh_broker, fresh_database, init_test_logs, serve, via_relay,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use tokio::sync::{Semaphore, SemaphorePermit};

pub use auth::configuration::{TEST_ADMIN_EMAIL as ADMIN_EMAIL, TEST_ADMIN_PASSWORD as ADMIN_PASSWORD};
pub const PASSWORD: &str = "correct horse battery staple";

/// Knobs of the stack under test.
#[derive(Default, Clone, Copy)]
pub struct Options {
    /// Orders halts its sagas after this step (a simulated crash).
    pub orders_halt_after: Option<Step>,
    /// The gateway's per-client budget: one request back every `.0`, `.1` at once.
    /// Unlimited for practical purposes when `None`.
    pub gateway_rate_limit: Option<(Duration, u32)>,
}

/// One whole shop at a time in a test process. Eight services, two
/// simulators and their databases are load enough for two cores: with
/// several shops at once (libtest runs a binary's tests in parallel),
/// latency and timeouts were decided by the neighbours, not the code under
/// test. Test binaries already run one after another.
static ONE_SHOP_AT_A_TIME: Semaphore = Semaphore::const_new(1);

pub struct Shop {
    /// The public API.
    pub gateway: TestClient,
    /// The storefront, in front of `gateway`.
    pub web: TestClient,
    /// Direct access, for what the gateway does not expose (metrics, internals).
    pub orders: Served,
    pub email_api: TestClient,
    pub inventory: TestClient,
    /// Orders' connection to RabbitMQ runs through this relay: cut it and
    /// the broker is down for orders.
    pub broker_relay: TcpRelay,
    /// Every HTTP server of the shop: (name, base URL), for scraping.
    pub services: Vec<(&'static str, String)>,
    databases: ShopDatabases,
    orders_broker: BrokerSettings,
    orders_upstreams: TestUpstreams,
    /// Held while this shop runs (see `ONE_SHOP_AT_A_TIME`).
    _turn: SemaphorePermit<'static>,
}

struct ShopDatabases {
    orders: DatabaseSettings,
    payments: DatabaseSettings,
    inventory: DatabaseSettings,
    notifications: DatabaseSettings,
}

impl Shop {
    pub async fn start(options: Options) -> Self {
        let turn = ONE_SHOP_AT_A_TIME.acquire().await.expect("the semaphore is never closed");
        init_test_logs();
        let broker = fresh_broker().await;
        let users = serve(
            users::startup::build(users::configuration::Settings::for_tests(fresh_database("users").await)).await,
        );
        let auth = serve(
            auth::startup::build(auth::configuration::Settings::for_tests(fresh_database("auth").await, users.url()))
                .await,
        );
        let catalog = serve(
            catalog::startup::build(catalog::configuration::Settings::for_tests(fresh_database("catalog").await)).await,
        );
        let databases = ShopDatabases {
            orders: fresh_database("orders").await,
            payments: fresh_database("payments").await,
            inventory: fresh_database("inventory").await,
            notifications: fresh_database("notifications").await,
        };
        let inventory = serve(
            inventory::startup::build(inventory::configuration::Settings::for_tests(
                databases.inventory.clone(),
                broker.clone(),
            ))
            .await,
        );
        let provider = serve(simulators::payments::build(simulators::payments::Settings::for_tests()).await);
        let email_api = serve(simulators::email::build(simulators::email::Settings::for_tests()).await);
        let payments = serve(
            payments::startup::build(payments::configuration::Settings::for_tests(
                databases.payments.clone(),
                provider.url(),
            ))
            .await,
        );
        let notifications = serve(
            notifications::startup::build(notifications::configuration::Settings::for_tests(
                databases.notifications.clone(),
                broker.clone(),
                users.url(),
                email_api.url(),
            ))
            .await,
        );

        let broker_relay = TcpRelay::start(authority_of(broker.url.expose_secret())).await;
        let orders_broker =
            BrokerSettings { url: SecretString::from(via_relay(broker.url.expose_secret(), &broker_relay)) };
        let orders_upstreams =
            TestUpstreams { catalog: catalog.url(), inventory: inventory.url(), payments: payments.url() };
        let orders = serve(
            orders::startup::build(
                orders::configuration::Settings::for_tests(
                    databases.orders.clone(),
                    orders_broker.clone(),
                    &orders_upstreams,
                )
                .halting_after(options.orders_halt_after),
            )
            .await,
        );

        let upstreams = Upstreams {
            auth: ClientSettings::fixed("auth", auth.url()),
            users: ClientSettings::fixed("users", users.url()),
            catalog: ClientSettings::fixed("catalog", catalog.url()),
            inventory: ClientSettings::fixed("inventory", inventory.url()),
            // A checkout answers when its saga has: allow for it (as compose does).
            orders: ClientSettings {
                timeout: Duration::from_secs(15),
                resilience: platform::client::resilience::ResilienceSettings::for_timeout(Duration::from_secs(15)),
                ..ClientSettings::fixed("orders", orders.url())
            },
            notifications: ClientSettings::fixed("notifications", notifications.url()),
        };
        let mut gateway_settings = gateway::configuration::Settings::for_tests(upstreams);
        if let Some((replenish_every, burst)) = options.gateway_rate_limit {
            gateway_settings.rate_limit = RateLimitSettings { replenish_every, burst: burst.try_into().unwrap() };
        }
        let gateway = serve(gateway::startup::build(gateway_settings).await);
        let web = serve(web::startup::build(web::configuration::Settings::for_tests(&gateway.url())).await);

        let services = vec![
            ("gateway", gateway.url()),
            ("auth", auth.url()),
            ("users", users.url()),
            ("catalog", catalog.url()),
            ("inventory", inventory.url()),
            ("orders", orders.url()),
            ("payments", payments.url()),
            ("notifications", notifications.url()),
            ("web", web.url()),
        ];
        Shop {
            services,
            gateway: gateway.client(),
            web: web.client(),
            orders,
            email_api: email_api.client(),
            inventory: inventory.client(),
            broker_relay,
            databases,
            orders_broker,
            orders_upstreams,
            _turn: turn,
        }
    }

    /// Stops orders mid-whatever and starts a fresh instance on the same
    /// database and address book (but a new port: the gateway is not
    /// involved in the tests that use this).
    pub async fn restart_orders(&mut self) {
        self.orders.stop();
        let settings = orders::configuration::Settings::for_tests(
            self.databases.orders.clone(),
            self.orders_broker.clone(),
            &self.orders_upstreams,
        );
        self.orders = serve(orders::startup::build(settings).await);
    }

    /// The invariant checker over this shop's databases.
    pub async fn invariants(&self, grace: Duration) -> invariants::Report {
        let connect = |db: &DatabaseSettings| {
            let url = db.url.expose_secret().to_owned();
            async move { PgPoolOptions::new().max_connections(2).connect(&url).await.unwrap() }
        };
        let databases = invariants::Databases {
            orders: connect(&self.databases.orders).await,
            payments: connect(&self.databases.payments).await,
            inventory: connect(&self.databases.inventory).await,
            notifications: connect(&self.databases.notifications).await,
        };
        invariants::check(&databases, grace).await.unwrap()
    }

    /// A raw connection to the orders database (diagnostics).
    pub async fn orders_database(&self) -> sqlx::PgPool {
        PgPoolOptions::new().max_connections(1).connect(self.databases.orders.url.expose_secret()).await.unwrap()
    }

    /// A raw connection to the payments database (to break an invariant on purpose).
    pub async fn payments_database(&self) -> sqlx::PgPool {
        PgPoolOptions::new().max_connections(1).connect(self.databases.payments.url.expose_secret()).await.unwrap()
    }

    /// A raw connection to the inventory database (to break an invariant on purpose).
    pub async fn inventory_database(&self) -> sqlx::PgPool {
        PgPoolOptions::new().max_connections(1).connect(self.databases.inventory.url.expose_secret()).await.unwrap()
    }

    /// A raw connection to the notifications database (to break an invariant on purpose).
    pub async fn notifications_database(&self) -> sqlx::PgPool {
        PgPoolOptions::new().max_connections(1).connect(self.databases.notifications.url.expose_secret()).await.unwrap()
    }

    pub async fn register(&self, email: &str) -> String {
        let body = json!({"email": email, "password": PASSWORD, "display_name": "Ada"});
        let response = self.gateway.post("/api/v1/auth/register", &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        self.login(email, PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.gateway.post("/api/v1/auth/login", &json!({"email": email, "password": password})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let session: Value = response.json().await.unwrap();
        session["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.gateway.http.request(method, self.gateway.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> Value {
        let response = self.send(reqwest::Method::GET, token, path, None).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// A product with `stock` units, created by the admin through the gateway.
    pub async fn product(&self, sku: &str, price_cents: i64, stock: i64) -> i64 {
        let admin = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let post = reqwest::Method::POST;
        let _ = self
            .send(post.clone(), &admin, "/api/v1/categories", Some(&json!({"slug": "things", "name": "Things"})))
            .await;
        let body = json!({"sku": sku, "name": format!("The {sku}"), "price_cents": price_cents, "currency": "EUR", "category": "things"});
        let created = self.send(post.clone(), &admin, "/api/v1/products", Some(&body)).await;
        assert_eq!(created.status(), 201);
        let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let restocked = self
            .send(post, &admin, &format!("/api/v1/inventory/{id}/restock"), Some(&json!({"quantity": stock})))
            .await;
        assert_eq!(restocked.status(), 200);
        id
    }

    pub async fn order(&self, token: &str, items: &[(i64, i64)], payment_method: &str) -> reqwest::Response {
        let items: Vec<Value> = items.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect();
        let body = json!({"items": items, "payment_method": payment_method});
        self.send(reqwest::Method::POST, token, "/api/v1/orders", Some(&body)).await
    }

    /// Waits until the caller has `count` notifications; returns them.
    pub async fn notifications(&self, token: &str, count: usize) -> Vec<Value> {
        platform::test_util::eventually("notifications arrived", Duration::from_secs(30), || async {
            self.get(token, "/api/v1/notifications").await["items"].as_array().unwrap().len() >= count
        })
        .await;
        self.get(token, "/api/v1/notifications").await["items"].as_array().unwrap().clone()
    }

    /// Waits until the invariant checker reports nothing in progress and
    /// returns its final report. Panics, naming what is unsettled, when
    /// something is still in progress after the wait: a report that was
    /// never examined must not pass as a clean one.
    pub async fn settled_invariants(&self) -> invariants::Report {
        let mut report = self.invariants(Duration::from_secs(60)).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !report.in_progress.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "still in progress after 30 s of waiting for the shop to settle:\n{report}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            report = self.invariants(Duration::from_secs(60)).await;
        }
        report
    }
}

/// The repository's root, where the files the tests check live (dashboards,
/// manifests, configuration, contracts).
pub fn repository() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the repository").to_path_buf()
}
