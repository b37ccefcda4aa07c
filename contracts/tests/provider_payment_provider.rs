//! Provider verification: the payment provider simulator replays every pact
//! that names `payment-provider` as its provider.

mod common;

use common::*;
use platform::config::{ServerSettings, TelemetrySettings};
use simulators::behaviour::Behaviour;

#[tokio::test]
async fn the_payment_provider_simulator_honours_the_contract() {
    let server = simulators::payments::build(simulators::payments::Settings {
        server: ServerSettings::for_tests(),
        telemetry: TelemetrySettings::for_tests(),
        // Declines come from the token only (tok_decline), as the pact says.
        behaviour: Behaviour { latency_ms: 0, jitter_ms: 0, failure_rate: 0.0, decline_rate: 0.0 },
    })
    .await
    .expect("the simulator builds");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    let outcome = verify("payment-provider", &url).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
