use platform::Caller;
use platform::test_util::{TestClient, fresh_database, init_test_logs, serve};
use serde_json::{Value, json};
use users::configuration::Settings;
use users::startup;

pub struct TestApp {
    pub client: TestClient,
}

/// Starts the users service on a random port with its own fresh database.
pub async fn spawn_app() -> TestApp {
    init_test_logs();
    let users = serve(startup::build(Settings::for_tests(fresh_database("users").await)).await);
    TestApp { client: users.client() }
}

impl TestApp {
    /// What auth does on registration.
    pub async fn create_profile(&self, caller: &Caller, email: &str, name: &str) -> reqwest::Response {
        let path = format!("/internal/v1/profiles/{}", caller.user_id);
        self.client.put_as(None, &path, &json!({"email": email, "display_name": name})).await
    }

    pub async fn registered(&self, caller: &Caller, email: &str) -> Value {
        let response = self.create_profile(caller, email, "Ada").await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}
