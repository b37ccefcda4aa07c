use std::ops::Deref;

use auth::configuration::{Settings, TokenSettings};
use auth::passwords::HashCost;
use auth::startup;
use platform::client::ClientSettings;
use platform::config::{ServerSettings, TelemetrySettings};
use platform::email::Email;
use platform::test_util::{TestClient, fresh_database, init_test_logs, serve_in_background};
use serde_json::{Value, json};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_EMAIL: &str = "admin@shop.test";
pub const ADMIN_PASSWORD: &str = "test-only-admin-password";

pub struct TestApp {
    pub client: TestClient,
}

impl Deref for TestApp {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.client
    }
}

/// Starts the users service, then auth pointed at it.
pub async fn spawn_app() -> TestApp {
    let users = spawn_users().await;
    spawn_auth(&users).await
}

pub async fn spawn_users() -> String {
    init_test_logs();
    let settings = users::configuration::Settings {
        server: ServerSettings::for_tests(),
        database: fresh_database("users").await,
        telemetry: TelemetrySettings::for_tests(),
    };
    let app = users::startup::build(settings).await.expect("users builds");
    let address = format!("http://{}", app.local_addr());
    serve_in_background(app.run_until(std::future::pending()));
    address
}

/// Auth with a cheap password hash (tests are not about hash cost).
pub async fn spawn_auth(users_url: &str) -> TestApp {
    init_test_logs();
    let settings = Settings {
        server: ServerSettings::for_tests(),
        database: fresh_database("auth").await,
        telemetry: TelemetrySettings::for_tests(),
        users: ClientSettings { timeout: Duration::from_secs(2), ..ClientSettings::fixed("users", users_url) },
        tokens: TokenSettings {
            signing_key_pem: None,
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
        },
        password_cost: HashCost { memory_kib: 1024, iterations: 1 },
        bootstrap_admin: Some((Email::parse(ADMIN_EMAIL).unwrap(), ADMIN_PASSWORD.to_owned().into())),
    };
    let app = startup::build(settings).await.expect("auth builds");
    let client = TestClient::new(app.local_addr());
    serve_in_background(app.run_until(std::future::pending()));
    TestApp { client }
}

impl TestApp {
    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/api/v1/auth/register", &json!({"email": email, "password": password, "display_name": "Ada"})).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/api/v1/auth/login", &json!({"email": email, "password": password})).await
    }

    /// Registers and logs in; returns the token pair.
    pub async fn registered_session(&self, email: &str) -> Value {
        assert_eq!(self.register(email, PASSWORD).await.status(), 201);
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &Value) -> reqwest::Response {
        self.post("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token})).await
    }

    pub async fn verify(&self, token: &Value) -> reqwest::Response {
        self.post("/api/v1/auth/verify", &json!({"token": token})).await
    }
}
