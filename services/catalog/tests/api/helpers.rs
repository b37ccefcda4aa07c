use std::ops::Deref;

use catalog::configuration::Settings;
use catalog::startup;
use platform::Caller;
use platform::config::{ServerSettings, TelemetrySettings};
use platform::test_util::{TestClient, admin, fresh_database, init_test_logs, serve_in_background};
use serde_json::{Value, json};

/// The running catalog, and the admin who fills it.
pub struct TestApp {
    pub client: TestClient,
    pub admin: Caller,
}

impl Deref for TestApp {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.client
    }
}

/// Starts the catalog on a random port with its own fresh database.
pub async fn spawn_app() -> TestApp {
    init_test_logs();
    let settings = Settings {
        server: ServerSettings::for_tests(),
        database: fresh_database("catalog").await,
        telemetry: TelemetrySettings::for_tests(),
    };
    let app = startup::build(settings).await.expect("catalog builds");
    let client = TestClient::new(app.local_addr());
    serve_in_background(app.run_until(std::future::pending()));
    TestApp { client, admin: admin() }
}

impl TestApp {
    pub async fn create_category(&self, slug: &str, name: &str) {
        let response = self.post_as(&self.admin, "/api/v1/categories", &json!({"slug": slug, "name": name})).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    /// Creates a product as admin and returns it.
    pub async fn create_product(&self, sku: &str, name: &str, price_cents: i64, category: &str) -> Value {
        let body = json!({
            "sku": sku, "name": name, "description": format!("The {name}, for testing"),
            "price_cents": price_cents, "currency": "EUR", "category": category,
        });
        let response = self.post_as(&self.admin, "/api/v1/products", &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}
