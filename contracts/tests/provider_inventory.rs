//! Provider verification: the real inventory service, on a fresh Postgres
//! database and RabbitMQ, replays every pact naming `inventory`. Provider
//! states are put in place through inventory's own API.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use inventory::configuration::Settings;
use inventory::startup;
use pact_models::provider_states::ProviderState;
use platform::config::{ServerSettings, TelemetrySettings};
use platform::test_util::{TestClient, admin, fresh_broker, fresh_database, serve_in_background};
use serde_json::{Value, json};

/// Sets up "a product has stock" and "an order holds a reservation".
struct InventoryStates {
    inventory: TestClient,
}

impl std::fmt::Debug for InventoryStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InventoryStates")
    }
}

impl InventoryStates {
    async fn restock(&self, product_id: i64, quantity: i64) -> anyhow::Result<()> {
        let path = format!("/api/v1/inventory/{product_id}/restock");
        let response = self.inventory.post_as(&admin(), &path, &json!({ "quantity": quantity })).await;
        anyhow::ensure!(response.status().is_success(), "restock: {}", response.status());
        Ok(())
    }
}

#[async_trait::async_trait]
impl pact_verifier::callback_executors::ProviderStateExecutor for InventoryStates {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        state: &ProviderState,
        setup: bool,
        _client: Option<&reqwest::Client>,
    ) -> anyhow::Result<HashMap<String, Value>> {
        if !setup {
            return Ok(HashMap::new());
        }
        let number = |key: &str| state.params.get(key).and_then(Value::as_i64).ok_or_else(|| anyhow::anyhow!("{key}"));
        match state.name.as_str() {
            "a product has stock" => self.restock(number("product_id")?, number("available")?).await?,
            "an order holds a reservation" => {
                let product_id = number("product_id")?;
                self.restock(product_id, 5).await?;
                let order_id = state.params.get("order_id").and_then(Value::as_str).unwrap_or_default();
                let body = json!({ "lines": [{ "product_id": product_id, "quantity": 1 }] });
                let response =
                    self.inventory.put_as(None, &format!("/internal/v1/reservations/{order_id}"), &body).await;
                anyhow::ensure!(response.status().is_success(), "reserve: {}", response.status());
            }
            other => anyhow::bail!("unknown provider state {other:?}"),
        }
        Ok(HashMap::new())
    }

    fn teardown(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn inventory_honours_the_contracts_of_its_consumers() {
    install_crypto_provider();
    let settings = Settings {
        server: ServerSettings::for_tests(),
        database: fresh_database("inventory").await,
        telemetry: TelemetrySettings::for_tests(),
        broker: fresh_broker().await,
        reservation_ttl: Duration::from_secs(600),
        expiry_sweep: Duration::from_secs(60),
    };
    let app = startup::build(settings).await.expect("inventory builds");
    let url = format!("http://{}", app.local_addr());
    let states = Arc::new(InventoryStates { inventory: TestClient::new(app.local_addr()) });
    serve_in_background(app.run_until(std::future::pending()));
    let outcome = verify_with_states("inventory", &url, states).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
