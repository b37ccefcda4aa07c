use platform::test_util::{customer, error_of};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn admins_create_categories_that_everyone_can_list() {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    let categories = app.client.get_json("/api/v1/categories").await;
    assert_eq!(categories[0]["slug"], "kitchen");
}

#[tokio::test]
async fn a_duplicate_category_slug_is_a_conflict() {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    let response =
        app.client.post_as(&app.admin, "/api/v1/categories", &json!({"slug":"kitchen","name":"Again"})).await;
    assert_eq!(error_of(response).await, (409, "category_exists".into()));
}

#[tokio::test]
async fn customers_cannot_create_categories() {
    let app = spawn_app().await;
    let response = app.client.post_as(&customer(), "/api/v1/categories", &json!({"slug":"x","name":"X"})).await;
    assert_eq!(error_of(response).await, (403, "forbidden".into()));
}

/// Found by fuzzing: Postgres cannot store a NUL character, and the
/// refusal surfaced as a 500.
#[tokio::test]
async fn text_with_a_nul_character_is_a_client_error() {
    let app = crate::helpers::spawn_app().await;
    let body = serde_json::json!({"slug": "nul", "name": "Nul\u{0}"});
    let response = app.client.post_as(&app.admin, "/api/v1/categories", &body).await;
    assert_eq!(platform::test_util::error_of(response).await, (422, "invalid_text".into()));
}
