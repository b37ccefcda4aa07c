use serde_json::Value;

use crate::helpers::spawn_shop;

#[tokio::test]
async fn the_dashboard_gathers_profile_and_recommendations() {
    let shop = spawn_shop().await;
    shop.seed_catalog().await;
    let token = shop.customer_token("ada@example.org").await;
    let dashboard: Value = shop.get_with(&token, "/api/v1/dashboard").await.json().await.unwrap();
    assert_eq!(dashboard["degraded"], true, "orders does not run in these tests");
    assert_eq!(dashboard["sections"]["recent_orders"]["status"], "unavailable");
    assert_eq!(dashboard["sections"]["profile"]["status"], "ok");
    assert_eq!(dashboard["sections"]["profile"]["data"]["email"], "ada@example.org");
    assert_eq!(dashboard["sections"]["recommendations"]["data"]["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn with_catalog_down_the_dashboard_answers_with_what_it_has() {
    let mut shop = spawn_shop().await;
    let token = shop.customer_token("ada@example.org").await;
    shop.catalogs[0].stop();
    let response = shop.get_with(&token, "/api/v1/dashboard").await;
    assert_eq!(response.status(), 200);
    let dashboard: Value = response.json().await.unwrap();
    assert_eq!(dashboard["degraded"], true);
    assert_eq!(dashboard["sections"]["profile"]["status"], "ok");
    let recommendations = &dashboard["sections"]["recommendations"];
    assert_eq!(recommendations["status"], "fallback");
    assert_eq!(recommendations["data"]["items"], Value::Array(vec![]));
    assert_eq!(recommendations["error"]["code"], "dependency_unavailable");
}

#[tokio::test]
async fn the_dashboard_needs_a_caller() {
    let shop = spawn_shop().await;
    assert_eq!(platform::test_util::error_of(shop.gateway.get("/api/v1/dashboard").await).await.0, 401);
}
