use catalog::configuration::Settings;
use catalog::startup;
use platform::Caller;
use platform::test_util::{TestClient, admin, fresh_database, init_test_logs, serve};
use serde_json::{Value, json};

/// The running catalog, and the admin who fills it.
pub struct TestApp {
    pub client: TestClient,
    pub admin: Caller,
}

/// Starts the catalog on a random port with its own fresh database.
pub async fn spawn_app() -> TestApp {
    init_test_logs();
    let catalog = serve(startup::build(Settings::for_tests(fresh_database("catalog").await)).await);
    TestApp { client: catalog.client(), admin: admin() }
}

impl TestApp {
    pub async fn create_category(&self, slug: &str, name: &str) {
        let response =
            self.client.post_as(&self.admin, "/api/v1/categories", &json!({"slug": slug, "name": name})).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    /// Creates a product as admin and returns it.
    pub async fn create_product(&self, sku: &str, name: &str, price_cents: i64, category: &str) -> Value {
        let body = json!({
            "sku": sku, "name": name, "description": format!("The {name}, for testing"),
            "price_cents": price_cents, "currency": "EUR", "category": category,
        });
        let response = self.client.post_as(&self.admin, "/api/v1/products", &body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}
