use std::time::Duration;

use gateway::configuration::{CacheSettings, RateLimitSettings, Settings, Upstreams};
use gateway::startup;
use platform::client::ClientSettings;
use platform::config::DatabaseSettings;
use platform::test_util::{Served, TcpRelay, TestClient, closed_port, fresh_database, init_test_logs, serve};
use platform::upstream::Discovery;
use secrecy::SecretString;
use serde_json::{Value, json};

pub use auth::configuration::{TEST_ADMIN_EMAIL as ADMIN_EMAIL, TEST_ADMIN_PASSWORD as ADMIN_PASSWORD};
pub const PASSWORD: &str = "correct horse battery staple";

/// A catalog instance that a test can stop.
pub struct CatalogInstance {
    pub address: std::net::SocketAddr,
    served: Served,
    /// The relay the gateway reaches this instance through, if it does:
    /// cutting it makes the instance unreachable for the gateway alone.
    pub relay: Option<TcpRelay>,
}

impl CatalogInstance {
    pub fn stop(&mut self) {
        self.served.stop();
    }
}

/// How the shop under test is assembled.
pub struct ShopBuilder {
    catalog_instances: usize,
    dead_catalog_instances: usize,
    relayed_catalog_instances: usize,
    catalog_retries: Option<u32>,
    catalog_eject_for: Option<Duration>,
    rate_limit: RateLimitSettings,
    cache: CacheSettings,
}

impl Default for ShopBuilder {
    fn default() -> Self {
        Self {
            catalog_instances: 1,
            dead_catalog_instances: 0,
            relayed_catalog_instances: 0,
            catalog_retries: None,
            catalog_eject_for: None,
            rate_limit: RateLimitSettings {
                replenish_every: Duration::from_millis(1),
                burst: 1000.try_into().unwrap(),
            },
            cache: CacheSettings {
                enabled: true,
                fresh_for: Duration::from_secs(60),
                keep_stale_for: Duration::from_secs(300),
                max_bytes: 1 << 20,
            },
        }
    }
}

pub struct Shop {
    pub gateway: TestClient,
    pub catalogs: Vec<CatalogInstance>,
    /// The key auth signs with, so tests can forge tokens the gateway must refuse.
    pub signing_key_pem: SecretString,
}

pub async fn spawn_shop() -> Shop {
    ShopBuilder::default().spawn().await
}

impl ShopBuilder {
    pub fn catalog_instances(mut self, live: usize, dead: usize) -> Self {
        self.catalog_instances = live;
        self.dead_catalog_instances = dead;
        self
    }

    /// Live catalog instances that the gateway reaches through a `TcpRelay`
    /// (`CatalogInstance::relay`); they come after the direct ones in `catalogs`.
    pub fn relayed_catalog_instances(mut self, count: usize) -> Self {
        self.relayed_catalog_instances = count;
        self
    }

    /// Attempts after the first for the gateway's catalog calls; 0 shows
    /// every failed attempt to the client instead of hiding it with a retry.
    pub fn catalog_retries(mut self, retries: u32) -> Self {
        self.catalog_retries = Some(retries);
        self
    }

    /// How long a catalog instance that failed stays out of rotation.
    pub fn catalog_eject_for(mut self, eject_for: Duration) -> Self {
        self.catalog_eject_for = Some(eject_for);
        self
    }

    /// A budget of `burst` requests that refills one per minute: slow enough
    /// that no refill happens during a test.
    pub fn rate_limit_burst(mut self, burst: u32) -> Self {
        self.rate_limit =
            RateLimitSettings { replenish_every: Duration::from_secs(60), burst: burst.try_into().unwrap() };
        self
    }

    pub fn cache_enabled(mut self, enabled: bool) -> Self {
        self.cache.enabled = enabled;
        self
    }

    pub fn cache_fresh_for(mut self, fresh_for: Duration) -> Self {
        self.cache.fresh_for = fresh_for;
        self
    }

    pub async fn spawn(self) -> Shop {
        init_test_logs();
        let users = spawn_users().await;
        let signing_key_pem = auth::keys::generate_ed25519_pem();
        let auth = spawn_auth(&users, signing_key_pem.clone()).await;

        let catalog_db = fresh_database("catalog").await;
        let mut catalogs = Vec::new();
        for _ in 0..self.catalog_instances {
            catalogs.push(spawn_catalog(catalog_db.clone()).await);
        }
        for _ in 0..self.relayed_catalog_instances {
            let mut instance = spawn_catalog(catalog_db.clone()).await;
            instance.relay = Some(TcpRelay::start(instance.address.to_string()).await);
            catalogs.push(instance);
        }
        let mut catalog_urls: Vec<String> = catalogs
            .iter()
            .map(|c| format!("http://{}", c.relay.as_ref().map_or(c.address, TcpRelay::address)))
            .collect();
        for _ in 0..self.dead_catalog_instances {
            catalog_urls.push(format!("http://{}", closed_port()));
        }
        let mut catalog_client = ClientSettings::fixed("catalog", "");
        catalog_client.discovery = Discovery::Static(catalog_urls);
        if let Some(retries) = self.catalog_retries {
            catalog_client.resilience.retries = retries;
        }
        if let Some(eject_for) = self.catalog_eject_for {
            catalog_client.eject_for = eject_for;
        }

        // The order flow has its own end-to-end tests (tests/e2e): there nobody answers.
        let upstreams = Upstreams {
            auth: ClientSettings::fixed("auth", auth),
            users: ClientSettings::fixed("users", users),
            catalog: catalog_client,
            ..Upstreams::unreachable()
        };
        let settings = Settings {
            rate_limit: self.rate_limit,
            cache: self.cache,
            jwks_min_refresh: Duration::from_secs(10),
            ..Settings::for_tests(upstreams)
        };
        let gateway = serve(startup::build(settings).await).client();
        Shop { gateway, catalogs, signing_key_pem }
    }
}

async fn spawn_users() -> String {
    serve(users::startup::build(users::configuration::Settings::for_tests(fresh_database("users").await)).await).url()
}

async fn spawn_auth(users: &str, signing_key_pem: SecretString) -> String {
    let mut settings = auth::configuration::Settings::for_tests(fresh_database("auth").await, users);
    settings.tokens.signing_key_pem = Some(signing_key_pem);
    serve(auth::startup::build(settings).await).url()
}

async fn spawn_catalog(database: DatabaseSettings) -> CatalogInstance {
    let served = serve(catalog::startup::build(catalog::configuration::Settings::for_tests(database)).await);
    CatalogInstance { address: served.address, served, relay: None }
}

impl Shop {
    pub async fn register(&self, email: &str) {
        let body = json!({"email": email, "password": PASSWORD, "display_name": "Ada"});
        let response = self.gateway.post("/api/v1/auth/register", &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.gateway.post("/api/v1/auth/login", &json!({"email": email, "password": password})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let session: Value = response.json().await.unwrap();
        session["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn customer_token(&self, email: &str) -> String {
        self.register(email).await;
        self.login(email, PASSWORD).await
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub async fn get_with(&self, token: &str, path: &str) -> reqwest::Response {
        self.gateway.http.get(self.gateway.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn send_with(&self, method: reqwest::Method, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.gateway.http.request(method, self.gateway.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    /// A category and a few products, created by the admin through the gateway.
    pub async fn seed_catalog(&self) -> Vec<Value> {
        let admin = self.admin_token().await;
        let post = reqwest::Method::POST;
        let created = self
            .send_with(post.clone(), &admin, "/api/v1/categories", &json!({"slug": "kitchen", "name": "Kitchen"}))
            .await;
        assert_eq!(created.status(), 201);
        let mut products = Vec::new();
        for (sku, name, price) in [("MUG-1", "Enamel mug", 1200), ("KETTLE-1", "Copper kettle", 4500)] {
            let body =
                json!({"sku": sku, "name": name, "price_cents": price, "currency": "EUR", "category": "kitchen"});
            let response = self.send_with(post.clone(), &admin, "/api/v1/products", &body).await;
            assert_eq!(response.status(), 201);
            products.push(response.json().await.unwrap());
        }
        products
    }

    /// The value of one series in the gateway's `/metrics`, 0 when absent.
    pub async fn metric(&self, name_and_labels: &str) -> f64 {
        metric_value(&self.gateway.get("/metrics").await.text().await.unwrap(), name_and_labels)
    }
}

/// Reads `name{labels}` from a Prometheus text exposition; the labels given
/// must all be present on the series (others may be too).
pub fn metric_value(exposition: &str, name_and_labels: &str) -> f64 {
    let (name, labels) =
        name_and_labels.split_once('{').map_or((name_and_labels, ""), |(n, l)| (n, l.trim_end_matches('}')));
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.split(['{', ' ']).next() == Some(name))
        .filter(|line| labels.split(',').filter(|l| !l.is_empty()).all(|l| line.contains(l)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
