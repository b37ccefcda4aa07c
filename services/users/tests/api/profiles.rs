use platform::test_util::{admin, customer, error_of};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_registered_user_reads_and_renames_their_own_profile() {
    let app = spawn_app().await;
    let ada = customer();
    app.registered(&ada, "Ada@Example.org").await;

    let me: Value = app.client.get_as(&ada, "/api/v1/users/me").await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.org");
    assert_eq!(me["user_id"], ada.user_id.to_string());

    let renamed = app.client.patch_as(&ada, "/api/v1/users/me", &json!({"display_name": "Ada L."})).await;
    assert_eq!(renamed.status(), 200);
    let by_id: Value = app.client.get_as(&ada, &format!("/api/v1/users/{}", ada.user_id)).await.json().await.unwrap();
    assert_eq!(by_id["display_name"], "Ada L.");
}

#[tokio::test]
async fn profile_creation_is_idempotent_and_addresses_are_unique() {
    let app = spawn_app().await;
    let ada = customer();
    assert_eq!(app.create_profile(&ada, "ada@example.org", "Ada").await.status(), 201);
    assert_eq!(app.create_profile(&ada, "ada@example.org", "Ada").await.status(), 200, "repeat");
    let other = customer();
    let clash = app.create_profile(&other, "ada@example.org", "Eve").await;
    assert_eq!(error_of(clash).await, (409, "email_taken".into()));
}

#[tokio::test]
async fn a_customer_cannot_see_or_change_someone_elses_profile() {
    let app = spawn_app().await;
    let (ada, eve) = (customer(), customer());
    app.registered(&ada, "ada@example.org").await;
    app.registered(&eve, "eve@example.org").await;
    let path = format!("/api/v1/users/{}", ada.user_id);
    assert_eq!(error_of(app.client.get_as(&eve, &path).await).await, (404, "not_found".into()));
    let change = app.client.patch_as(&eve, &path, &json!({"display_name": "owned"})).await;
    assert_eq!(error_of(change).await.0, 404);
    let unchanged: Value = app.client.get_as(&ada, "/api/v1/users/me").await.json().await.unwrap();
    assert_eq!(unchanged["display_name"], "Ada");
}

#[tokio::test]
async fn only_admins_list_profiles() {
    let app = spawn_app().await;
    let ada = customer();
    app.registered(&ada, "ada@example.org").await;
    app.registered(&customer(), "bob@example.org").await;
    assert_eq!(error_of(app.client.get_as(&ada, "/api/v1/users").await).await.0, 403);
    let page: Value = app.client.get_as(&admin(), "/api/v1/users?per_page=1").await.json().await.unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let admin_reads: Value =
        app.client.get_as(&admin(), &format!("/api/v1/users/{}", ada.user_id)).await.json().await.unwrap();
    assert_eq!(admin_reads["email"], "ada@example.org");
}

#[tokio::test]
async fn anonymous_callers_and_bad_bodies_get_client_errors() {
    let app = spawn_app().await;
    assert_eq!(error_of(app.client.get("/api/v1/users/me").await).await, (401, "unauthorized".into()));
    let ada = customer();
    app.registered(&ada, "ada@example.org").await;
    let empty = app.client.patch_as(&ada, "/api/v1/users/me", &json!({"display_name": "  "})).await;
    assert_eq!(error_of(empty).await.0, 422);
    let unknown_field = app.client.patch_as(&ada, "/api/v1/users/me", &json!({"role": "admin"})).await;
    assert_eq!(error_of(unknown_field).await.0, 422);
    let bad_email = app.create_profile(&customer(), "not-an-email", "X").await;
    assert_eq!(error_of(bad_email).await.0, 422);
    assert_eq!(error_of(app.client.get_as(&ada, "/api/v1/users/not-a-uuid").await).await.0, 400);
}

#[tokio::test]
async fn a_missing_profile_of_a_valid_caller_is_not_found() {
    let app = spawn_app().await;
    assert_eq!(error_of(app.client.get_as(&customer(), "/api/v1/users/me").await).await.0, 404);
}
