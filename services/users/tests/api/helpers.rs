use std::ops::Deref;

use platform::Caller;
use platform::config::{ServerSettings, TelemetrySettings};
use platform::test_util::{TestClient, fresh_database, init_test_logs, serve_in_background};
use serde_json::{Value, json};
use users::configuration::Settings;
use users::startup;

pub struct TestApp {
    pub client: TestClient,
}

impl Deref for TestApp {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.client
    }
}

/// Starts the users service on a random port with its own fresh database.
pub async fn spawn_app() -> TestApp {
    init_test_logs();
    let settings = Settings {
        server: ServerSettings::for_tests(),
        database: fresh_database("users").await,
        telemetry: TelemetrySettings::for_tests(),
    };
    let app = startup::build(settings).await.expect("users builds");
    let client = TestClient::new(app.local_addr());
    serve_in_background(app.run_until(std::future::pending()));
    TestApp { client }
}

impl TestApp {
    /// What auth does on registration.
    pub async fn create_profile(&self, caller: &Caller, email: &str, name: &str) -> reqwest::Response {
        let path = format!("/internal/v1/profiles/{}", caller.user_id);
        self.put_as(None, &path, &json!({"email": email, "display_name": name})).await
    }

    pub async fn registered(&self, caller: &Caller, email: &str) -> Value {
        let response = self.create_profile(caller, email, "Ada").await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}
