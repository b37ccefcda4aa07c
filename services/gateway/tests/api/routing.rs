use platform::test_util::error_of;
use serde_json::{Value, json};

use crate::helpers::spawn_shop;

#[tokio::test]
async fn a_customer_registers_logs_in_browses_and_reads_their_profile() {
    let shop = spawn_shop().await;
    shop.seed_catalog().await;
    let token = shop.customer_token("ada@example.org").await;

    let products = shop.gateway.get_json("/api/v1/products").await;
    assert_eq!(products["total"], 2);
    let me: Value = shop.get_with(&token, "/api/v1/users/me").await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.org");
}

#[tokio::test]
async fn the_gateway_passes_the_verified_identity_and_ignores_forged_headers() {
    let shop = spawn_shop().await;
    let ada = shop.customer_token("ada@example.org").await;
    let ada_id = shop.get_with(&ada, "/api/v1/users/me").await.json::<Value>().await.unwrap()["user_id"].clone();

    // Anonymous, claiming to be Ada through the internal headers: stripped, so 401.
    let forged = shop
        .gateway
        .http
        .get(shop.gateway.url("/api/v1/users/me"))
        .header("x-user-id", ada_id.as_str().unwrap())
        .header("x-user-role", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(forged).await, (401, "unauthorized".into()));

    // Eve, with Ada's id in the header: she still gets her own identity, not Ada's.
    let eve = shop.customer_token("eve@example.org").await;
    let response = shop
        .gateway
        .http
        .get(shop.gateway.url(&format!("/api/v1/users/{}", ada_id.as_str().unwrap())))
        .bearer_auth(&eve)
        .header("x-user-id", ada_id.as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.0, 404, "a customer cannot read someone else's profile");
}

#[tokio::test]
async fn only_admins_write_the_catalog_through_the_gateway() {
    let shop = spawn_shop().await;
    let products = shop.seed_catalog().await;
    let customer = shop.customer_token("ada@example.org").await;
    let path = format!("/api/v1/products/{}", products[0]["id"]);

    let as_customer = shop.send_with(reqwest::Method::PATCH, &customer, &path, &json!({"price_cents": 1})).await;
    assert_eq!(error_of(as_customer).await, (403, "forbidden".into()));
    let anonymous =
        shop.gateway.http.patch(shop.gateway.url(&path)).json(&json!({"price_cents": 1})).send().await.unwrap();
    assert_eq!(error_of(anonymous).await, (401, "unauthorized".into()));

    let admin = shop.admin_token().await;
    let as_admin = shop.send_with(reqwest::Method::PATCH, &admin, &path, &json!({"price_cents": 999})).await;
    assert_eq!(as_admin.status(), 200);
}

#[tokio::test]
async fn unknown_routes_and_versions_are_json_404s() {
    let shop = spawn_shop().await;
    assert_eq!(error_of(shop.gateway.get("/api/v3/products").await).await, (404, "not_found".into()));
    assert_eq!(
        error_of(shop.gateway.get("/internal/v1/profiles/x").await).await.0,
        404,
        "internal routes are not exposed"
    );
}

#[tokio::test]
async fn bad_input_is_answered_by_the_owning_service_in_the_json_error_shape() {
    let shop = spawn_shop().await;
    let bad_json = shop
        .gateway
        .http
        .post(shop.gateway.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(bad_json).await, (400, "malformed_json".into()));
    assert_eq!(error_of(shop.gateway.get("/api/v1/products?page=0").await).await.0, 400);
    assert_eq!(error_of(shop.gateway.get("/api/v1/products/999999").await).await.0, 404);
    let huge = json!({"email": "a@b.org", "password": "x".repeat(200_000), "display_name": "A"});
    assert_eq!(
        error_of(shop.gateway.post("/api/v1/auth/register", &huge).await).await,
        (413, "payload_too_large".into())
    );
    shop.register("ada@example.org").await;
    let again = shop
        .gateway
        .post(
            "/api/v1/auth/register",
            &json!({"email": "ada@example.org", "password": crate::helpers::PASSWORD, "display_name": "A"}),
        )
        .await;
    assert_eq!(error_of(again).await, (409, "email_taken".into()));
}

#[tokio::test]
async fn the_gateway_is_ready_once_it_holds_the_signing_keys() {
    let shop = spawn_shop().await;
    let ready = shop.gateway.get_json("/ready").await;
    assert_eq!(ready["checks"]["jwks"], "ok", "{ready}");
    // Upstreams are reported but optional: orders does not run here, and the
    // gateway stays ready (it degrades per route instead).
    assert_eq!(ready["status"], "degraded");
    assert_eq!(ready["degraded"], serde_json::json!(["orders"]));
}
