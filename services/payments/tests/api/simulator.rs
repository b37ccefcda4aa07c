//! Against the provider simulator that compose runs.

use platform::config::{ServerSettings, TelemetrySettings};
use platform::test_util::serve_in_background;
use serde_json::{Value, json};
use simulators::behaviour::Behaviour;
use uuid::Uuid;

use crate::helpers::spawn_app;

async fn simulator() -> String {
    let settings = simulators::payments::Settings {
        server: ServerSettings::for_tests(),
        telemetry: TelemetrySettings::for_tests(),
        behaviour: Behaviour { latency_ms: 0, jitter_ms: 0, failure_rate: 0.0, decline_rate: 0.0 },
    };
    let server = simulators::payments::build(settings).await.unwrap();
    let address = format!("http://{}", server.local_addr());
    serve_in_background(server.run_until(std::future::pending()));
    address
}

#[tokio::test]
async fn the_simulator_captures_and_declines_by_test_token() {
    let app = spawn_app(&simulator().await).await;
    let ok: Value = app
        .charge(
            "a",
            &json!({"order_id": Uuid::new_v4(), "amount_minor": 500, "currency": "EUR", "payment_method": "tok_visa"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["status"], "captured");
    let declined: Value = app
        .charge("b", &json!({"order_id": Uuid::new_v4(), "amount_minor": 500, "currency": "EUR", "payment_method": "tok_decline"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(declined["status"], "declined");
    let refunded: Value = app.refund("c", &ok["id"]).await.json().await.unwrap();
    assert_eq!(refunded["status"], "refunded");
}
