//! Consumer: auth → users. Registration creates the profile through users
//! (`PUT /internal/v1/profiles/{id}`); the real auth service runs on its own
//! database with users at the pact mock, and the test registers through it.

mod common;

use auth::configuration::Settings;
use common::*;
use pact_consumer::prelude::*;
use platform::client::ClientSettings;
use platform::test_util::{fresh_database, serve};
use serde_json::{Value, json};

fn users_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("auth", "users");
    pact.with_output_dir(pacts_dir())
        .interaction("creating the profile of a new user", "", |mut i| {
            i.request
                .put()
                .path(term!(
                    "^/internal/v1/profiles/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                    "/internal/v1/profiles/0190c0de-0000-7000-8000-00000000b004"
                ))
                .header("content-type", "application/json")
                // Literal addresses: they tell this interaction from the next one.
                .json_body(json_pattern!({ "email": "lin@example.org", "display_name": like!("Lin") }));
            i.response.status(201).header("content-type", "application/json").json_body(json_pattern!({
                "user_id": term!(UUID, "0190c0de-0000-7000-8000-00000000b004"),
                "email": like!("lin@example.org"),
            }));
            i
        })
        .interaction("creating a profile whose address is taken", "", |mut i| {
            i.given_with_params(
                "a user exists",
                &json!({ "user_id": "0190c0de-0000-7000-8000-00000000b005", "email": "taken@example.org" }),
            );
            i.request
                .put()
                .path(term!(
                    "^/internal/v1/profiles/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                    "/internal/v1/profiles/0190c0de-0000-7000-8000-00000000b006"
                ))
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "email": "taken@example.org", "display_name": like!("Lin") }));
            i.response.status(409).header("content-type", "application/json").json_body(json_pattern!({
                "error": { "code": "email_taken", "message": like!("a profile with this e-mail address exists") }
            }));
            i
        });
    pact
}

#[tokio::test]
async fn auth_creates_the_profile_when_a_user_registers() {
    install_crypto_provider();
    let users = users_pact().start_mock_server(None, None);
    let mut users_client = ClientSettings::fixed("users", users.url().as_str().trim_end_matches('/').to_owned());
    users_client.resilience.retries = 0;
    let settings = Settings {
        users: users_client,
        bootstrap_admin: None,
        ..Settings::for_tests(fresh_database("auth").await, users.url().as_str())
    };
    let auth = serve(auth::startup::build(settings).await).client();

    let register =
        |email: &str| json!({ "email": email, "password": "correct horse battery staple", "display_name": "Lin" });
    let created = auth.post("/api/v1/auth/register", &register("lin@example.org")).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().await.unwrap()["email"], "lin@example.org");
    let taken = auth.post("/api/v1/auth/register", &register("taken@example.org")).await;
    assert_eq!(taken.status(), 409, "users' refusal becomes auth's");
}
