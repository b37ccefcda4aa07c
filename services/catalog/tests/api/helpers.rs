use catalog::configuration::Settings;
use catalog::startup::Application;
use platform::Caller;
use platform::config::{ServerSettings, TelemetrySettings};
use platform::test_util::{AsCaller, admin, fresh_database, init_test_logs};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub admin: Caller,
}

/// Starts the catalog on a random port with its own fresh database.
pub async fn spawn_app() -> TestApp {
    init_test_logs();
    let settings = Settings {
        server: ServerSettings::for_tests(),
        database: fresh_database("catalog").await,
        telemetry: TelemetrySettings { log_filter: "info".into() },
    };
    let app = Application::build(settings).await.expect("catalog builds");
    let address = format!("http://{}", app.address());
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { address, http: reqwest::Client::new(), admin: admin() }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json")
    }

    pub async fn post_as(&self, caller: &Caller, path: &str, body: &Value) -> reqwest::Response {
        self.http.post(self.url(path)).as_caller(caller).json(body).send().await.expect("request")
    }

    pub async fn patch_as(&self, caller: &Caller, path: &str, body: &Value) -> reqwest::Response {
        self.http.patch(self.url(path)).as_caller(caller).json(body).send().await.expect("request")
    }

    pub async fn delete_as(&self, caller: &Caller, path: &str) -> reqwest::Response {
        self.http.delete(self.url(path)).as_caller(caller).send().await.expect("request")
    }

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
