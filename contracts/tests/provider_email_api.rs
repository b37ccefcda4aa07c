//! Provider verification: the e-mail API simulator replays every pact that
//! names `email-api` as its provider. (Its own binary: the consumer tests
//! rewrite the pact files, and tests of one binary run at the same time.)

mod common;

use common::*;
use platform::test_util::serve;

#[tokio::test]
async fn the_email_api_simulator_honours_the_contract() {
    let url = serve(simulators::email::build(simulators::email::Settings::for_tests()).await).url();
    let outcome = verify("email-api", &url).await;
    assert!(outcome.result, "verification failed:\n{}", outcome.output.join("\n"));
}
