//! Provider verification: the payment provider simulator replays every pact
//! that names `payment-provider` as its provider.

mod common;

use common::*;
use platform::config::{ServerSettings, TelemetrySettings};

#[tokio::test]
async fn the_payment_provider_simulator_honours_the_contract() {
    let url = serve_simulator(
        simulators::payments::build(simulators::payments::Settings {
            server: ServerSettings::for_tests(),
            telemetry: TelemetrySettings::for_tests(),
            behaviour: no_faults(),
        })
        .await,
    );
    let outcome = verify("payment-provider", &url).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
