//! Provider verification: the e-mail API simulator replays every pact that
//! names `email-api` as its provider. (Its own binary: the consumer tests
//! rewrite the pact files, and tests of one binary run at the same time.)

mod common;

use common::*;

#[tokio::test]
async fn the_email_api_simulator_honours_the_contract() {
    use platform::config::{ServerSettings, TelemetrySettings};
    use simulators::behaviour::Behaviour;

    let server = simulators::email::build(simulators::email::Settings {
        server: ServerSettings::for_tests(),
        telemetry: TelemetrySettings::for_tests(),
        behaviour: Behaviour { latency_ms: 0, jitter_ms: 0, failure_rate: 0.0, decline_rate: 0.0 },
    })
    .await
    .expect("the simulator builds");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    let outcome = verify("email-api", &url).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
