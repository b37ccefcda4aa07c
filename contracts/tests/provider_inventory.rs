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
use platform::test_util::{TestClient, admin, fresh_broker, fresh_database, serve};
use serde_json::{Value, json};

/// Sets up "a product has stock" and "an order holds a reservation".
struct InventoryStates {
    inventory: TestClient,
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
impl SetUp for InventoryStates {
    async fn set_up(&self, state: &ProviderState) -> anyhow::Result<HashMap<String, Value>> {
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
}

#[tokio::test]
async fn inventory_honours_the_contracts_of_its_consumers() {
    install_crypto_provider();
    let settings = Settings {
        expiry_sweep: Duration::from_secs(60),
        ..Settings::for_tests(fresh_database("inventory").await, fresh_broker().await)
    };
    let inventory = serve(startup::build(settings).await);
    let url = inventory.url();
    let states = Arc::new(InventoryStates { inventory: inventory.client() });
    let outcome = verify_with_states("inventory", &url, states).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
