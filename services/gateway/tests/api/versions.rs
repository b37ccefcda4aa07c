//! API versions at the edge: by path, by `Api-Version` header, deprecation
//! of v1's changed resources, v2 carrying the unchanged ones, and the
//! requests counted by version.

use platform::test_util::error_of;
use serde_json::Value;

use crate::helpers::spawn_shop;

async fn get(shop: &crate::helpers::Shop, path: &str, version: Option<&str>) -> reqwest::Response {
    let mut request = shop.gateway.http.get(shop.gateway.url(path));
    if let Some(version) = version {
        request = request.header("api-version", version);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn v1_and_v2_show_the_same_product_with_their_own_money() {
    let shop = spawn_shop().await;
    let seeded = shop.seed_catalog().await;
    let id = seeded[0]["id"].as_i64().unwrap();

    let v1: Value = get(&shop, &format!("/api/v1/products/{id}"), None).await.json().await.unwrap();
    assert_eq!((v1["price_cents"].as_i64(), v1["currency"].as_str()), (Some(1200), Some("EUR")));
    let v2: Value = get(&shop, &format!("/api/v2/products/{id}"), None).await.json().await.unwrap();
    assert_eq!(v2["price"], serde_json::json!({"amount": "12.00", "currency": "EUR"}));
    assert!(v2.get("price_cents").is_none(), "{v2}");
}

#[tokio::test]
async fn the_header_chooses_the_version_on_the_unversioned_path() {
    let shop = spawn_shop().await;
    shop.seed_catalog().await;

    let v2 = get(&shop, "/api/products?limit=1", Some("2")).await;
    assert_eq!(v2.status(), 200);
    assert_eq!(header(&v2, "api-version"), Some("2"));
    let page: Value = v2.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_string(), "a cursor page: {page}");

    // Without the header: v1, the version clients had before v2 existed.
    let v1 = get(&shop, "/api/products", None).await;
    assert_eq!(header(&v1, "api-version"), Some("1"));
    assert_eq!(v1.json::<Value>().await.unwrap()["total"], 2);

    let v1_by_header = get(&shop, "/api/products", Some("1")).await;
    assert_eq!(header(&v1_by_header, "api-version"), Some("1"));
}

#[tokio::test]
async fn v1_answers_of_changed_resources_are_deprecated_with_a_link_to_their_successor() {
    let shop = spawn_shop().await;
    let seeded = shop.seed_catalog().await;
    let id = seeded[0]["id"].as_i64().unwrap();

    let v1 = get(&shop, &format!("/api/v1/products/{id}"), None).await;
    assert_eq!(header(&v1, "deprecation"), Some("@1796083200"));
    assert_eq!(header(&v1, "sunset"), Some("Tue, 01 Jun 2027 00:00:00 GMT"));
    assert_eq!(header(&v1, "link"), Some(format!("</api/v2/products/{id}>; rel=\"successor-version\"").as_str()));

    let v2 = get(&shop, &format!("/api/v2/products/{id}"), None).await;
    assert_eq!(header(&v2, "deprecation"), None);
    // Categories did not change: v1 is current, not deprecated.
    let categories = get(&shop, "/api/v1/categories", None).await;
    assert_eq!((categories.status().as_u16(), header(&categories, "deprecation")), (200, None));
}

#[tokio::test]
async fn v2_serves_the_resources_it_took_over_unchanged() {
    let shop = spawn_shop().await;
    shop.seed_catalog().await;

    let categories = get(&shop, "/api/v2/categories", None).await;
    assert_eq!(categories.status(), 200);
    assert_eq!(header(&categories, "api-version"), Some("2"));
    assert_eq!(categories.json::<Value>().await.unwrap()[0]["slug"], "kitchen");

    let token = shop.customer_token("ada@example.org").await;
    let me = shop
        .gateway
        .http
        .get(shop.gateway.url("/api/users/me"))
        .bearer_auth(&token)
        .header("api-version", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["email"], "ada@example.org");
}

#[tokio::test]
async fn unknown_and_contradictory_versions_are_client_errors() {
    let shop = spawn_shop().await;

    assert_eq!(error_of(get(&shop, "/api/products", Some("3")).await).await, (400, "unsupported_api_version".into()));
    assert_eq!(error_of(get(&shop, "/api/v1/products", Some("2")).await).await, (400, "api_version_conflict".into()));
    assert_eq!(error_of(get(&shop, "/api/v3/products", None).await).await.0, 404);
    assert_eq!(error_of(get(&shop, "/api/v2/nothing-here", None).await).await.0, 404);
    assert_eq!(error_of(get(&shop, "/api/nothing-here", Some("2")).await).await.0, 404);
}

#[tokio::test]
async fn requests_are_counted_by_version_and_how_it_was_chosen() {
    let shop = spawn_shop().await;
    shop.seed_catalog().await;
    get(&shop, "/api/v2/products", None).await;
    get(&shop, "/api/products", Some("2")).await;
    get(&shop, "/api/products", Some("2")).await;
    get(&shop, "/api/products", None).await;

    assert_eq!(shop.metric(r#"gateway_api_requests_total{version="2",selected_by="path"}"#).await, 1.0);
    assert_eq!(shop.metric(r#"gateway_api_requests_total{version="2",selected_by="header"}"#).await, 2.0);
    assert_eq!(shop.metric(r#"gateway_api_requests_total{version="1",selected_by="default"}"#).await, 1.0);
}

#[tokio::test]
async fn the_gateway_serves_both_openapi_documents_and_a_page_to_read_them() {
    let shop = spawn_shop().await;
    for version in ["v1", "v2"] {
        let document: Value = shop.gateway.get_json(&format!("/api/{version}/openapi.json")).await;
        assert_eq!(document["openapi"], "3.1.0");
        assert!(document["paths"][format!("/api/{version}/products")]["get"].is_object(), "{version}");
        assert!(document["components"]["schemas"]["Error"].is_object(), "{version}");
    }
    let page = shop.gateway.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/api/v2/orders/{id}/cancel"));
}
