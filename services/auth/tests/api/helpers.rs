use auth::configuration::Settings;
use auth::startup;
use platform::client::ClientSettings;
use platform::test_util::{TestClient, fresh_database, init_test_logs, serve};
use serde_json::{Value, json};
use std::time::Duration;

pub use auth::configuration::{TEST_ADMIN_EMAIL as ADMIN_EMAIL, TEST_ADMIN_PASSWORD as ADMIN_PASSWORD};
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub client: TestClient,
}

/// Starts the users service, then auth pointed at it.
pub async fn spawn_app() -> TestApp {
    let users = spawn_users().await;
    spawn_auth(&users).await
}

pub async fn spawn_users() -> String {
    init_test_logs();
    serve(users::startup::build(users::configuration::Settings::for_tests(fresh_database("users").await)).await).url()
}

/// Auth in front of the users service at `users_url`.
pub async fn spawn_auth(users_url: &str) -> TestApp {
    init_test_logs();
    let settings = Settings {
        users: ClientSettings { timeout: Duration::from_secs(2), ..ClientSettings::fixed("users", users_url) },
        ..Settings::for_tests(fresh_database("auth").await, users_url)
    };
    TestApp { client: serve(startup::build(settings).await).client() }
}

impl TestApp {
    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post("/api/v1/auth/register", &json!({"email": email, "password": password, "display_name": "Ada"}))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client.post("/api/v1/auth/login", &json!({"email": email, "password": password})).await
    }

    /// Registers and logs in; returns the token pair.
    pub async fn registered_session(&self, email: &str) -> Value {
        assert_eq!(self.register(email, PASSWORD).await.status(), 201);
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &Value) -> reqwest::Response {
        self.client.post("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token})).await
    }

    pub async fn verify(&self, token: &Value) -> reqwest::Response {
        self.client.post("/api/v1/auth/verify", &json!({"token": token})).await
    }
}
