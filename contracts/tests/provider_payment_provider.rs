//! Provider verification: the payment provider simulator replays every pact
//! that names `payment-provider` as its provider. "a charge has succeeded"
//! makes one through the simulator's API and hands its id to the request.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use pact_models::provider_states::ProviderState;
use platform::test_util::serve;
use serde_json::{Value, json};

#[derive(Debug)]
struct Charges {
    url: String,
}

#[async_trait::async_trait]
impl SetUp for Charges {
    async fn set_up(&self, state: &ProviderState) -> anyhow::Result<HashMap<String, Value>> {
        // Interactions without a state get the empty one.
        if state.name.is_empty() {
            return Ok(HashMap::new());
        }
        anyhow::ensure!(state.name == "a charge has succeeded", "unknown provider state {:?}", state.name);
        let amount = state.params.get("amount_minor").cloned().unwrap_or(json!(2500));
        let body =
            json!({ "amount_minor": amount, "currency": "EUR", "payment_method": "tok_visa", "reference": "contract" });
        let charge: Value = reqwest::Client::new()
            .post(format!("{}/v1/charges", self.url))
            .header("idempotency-key", format!("contract-{}", uuid::Uuid::now_v7()))
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(HashMap::from([("charge_id".to_owned(), charge["id"].clone())]))
    }
}

#[tokio::test]
async fn the_payment_provider_simulator_honours_the_contract() {
    let url = serve(simulators::payments::build(simulators::payments::Settings::for_tests()).await).url();
    let states = Arc::new(Charges { url: url.clone() });
    let outcome = verify_with_states("payment-provider", &url, states).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
