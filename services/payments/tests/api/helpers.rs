use std::time::Duration;

use payments::configuration::Settings;
use payments::startup;
use platform::client::ClientSettings;
use platform::test_util::{TestClient, answer_posts, fresh_database, init_test_logs, json_answer, serve};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::MockServer;

pub struct TestApp {
    pub client: TestClient,
}

/// Payments against the provider at `provider_url`, with a 1 s timeout.
pub async fn spawn_app(provider_url: &str) -> TestApp {
    init_test_logs();
    let settings = Settings {
        provider: ClientSettings {
            timeout: Duration::from_secs(1),
            ..ClientSettings::fixed("payment-provider", provider_url)
        },
        ..Settings::for_tests(fresh_database("payments").await, provider_url)
    };
    TestApp { client: serve(startup::build(settings).await).client() }
}

pub fn charge_body(order_id: Uuid, amount_minor: i64) -> Value {
    json!({"order_id": order_id, "amount_minor": amount_minor, "currency": "EUR", "payment_method": "tok_visa"})
}

impl TestApp {
    pub async fn charge(&self, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .http
            .post(self.client.url("/api/v1/payments"))
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn refund(&self, key: &str, payment_id: &Value) -> reqwest::Response {
        let path = format!("/api/v1/payments/{}/refund", payment_id.as_str().unwrap());
        self.client.http.post(self.client.url(&path)).header("idempotency-key", key).send().await.unwrap()
    }
}

/// A provider that accepts every charge and refund.
pub async fn accepting_provider() -> MockServer {
    let provider = MockServer::start().await;
    answer_posts(&provider, "/v1/charges", json_answer(201, json!({"id": "ch_1", "status": "succeeded"}))).await;
    answer_posts(&provider, "/v1/refunds", json_answer(201, json!({"id": "re_1", "status": "succeeded"}))).await;
    provider
}

/// How many requests the provider received on `route`.
pub async fn calls_to(provider: &MockServer, route: &str) -> usize {
    provider.received_requests().await.unwrap_or_default().iter().filter(|r| r.url.path() == route).count()
}
