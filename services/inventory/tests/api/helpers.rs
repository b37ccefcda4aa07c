use std::time::Duration;

use inventory::configuration::Settings;
use inventory::startup;
use platform::messaging::BrokerSettings;
use platform::test_util::{TestClient, admin, fresh_broker, fresh_database, init_test_logs, serve};
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestApp {
    pub client: TestClient,
    pub broker: BrokerSettings,
}

pub async fn spawn_app() -> TestApp {
    spawn_with_ttl(Duration::from_secs(600)).await
}

pub async fn spawn_with_ttl(reservation_ttl: Duration) -> TestApp {
    init_test_logs();
    let broker = fresh_broker().await;
    let settings = Settings {
        reservation_ttl,
        expiry_sweep: Duration::from_millis(50),
        ..Settings::for_tests(fresh_database("inventory").await, broker.clone())
    };
    TestApp { client: serve(startup::build(settings).await).client(), broker }
}

impl TestApp {
    pub async fn restock(&self, product_id: i64, quantity: i64) -> reqwest::Response {
        self.client
            .post_as(&admin(), &format!("/api/v1/inventory/{product_id}/restock"), &json!({"quantity": quantity}))
            .await
    }

    pub async fn reserve(&self, order_id: Uuid, lines: &[(i64, i64)]) -> reqwest::Response {
        let lines: Vec<Value> = lines.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect();
        self.client.put_as(None, &format!("/internal/v1/reservations/{order_id}"), &json!({"lines": lines})).await
    }

    pub async fn act(&self, order_id: Uuid, action: &str) -> reqwest::Response {
        self.client
            .http
            .post(self.client.url(&format!("/internal/v1/reservations/{order_id}/{action}")))
            .send()
            .await
            .unwrap()
    }

    pub async fn stock(&self, product_id: i64) -> Value {
        self.client.get_json(&format!("/internal/v1/stock/{product_id}")).await
    }

    pub async fn status(&self, order_id: Uuid) -> String {
        let reservation = self.client.get_json(&format!("/internal/v1/reservations/{order_id}")).await;
        reservation["status"].as_str().unwrap().to_owned()
    }
}

/// available + reserved + sold == stocked, and the numbers given.
pub fn assert_stock(stock: &Value, available: i64, reserved: i64, sold: i64) {
    let n = |k: &str| stock[k].as_i64().unwrap();
    assert_eq!((n("available"), n("reserved"), n("sold")), (available, reserved, sold), "{stock}");
    assert_eq!(n("available") + n("reserved") + n("sold"), n("stocked"));
}
