//! Third parties played by wiremock in focused tests (a payment provider, an
//! e-mail API, a service answering what the real one never would).

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Answers every POST to `route` on `server` with `answer`.
pub async fn answer_posts(server: &MockServer, route: &str, answer: ResponseTemplate) {
    Mock::given(method("POST")).and(path(route)).respond_with(answer).mount(server).await;
}

/// Answers the first `times` POSTs to `route` with `answer`; a stub mounted
/// after this one answers the rest.
pub async fn answer_first_posts(server: &MockServer, route: &str, answer: ResponseTemplate, times: u64) {
    Mock::given(method("POST")).and(path(route)).respond_with(answer).up_to_n_times(times).mount(server).await;
}

/// `status` with a JSON body.
pub fn json_answer(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}
