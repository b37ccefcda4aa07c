use platform::test_util::{customer, error_of};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn shop_with_products() -> TestApp {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    app.create_category("garden", "Garden").await;
    app.create_product("MUG-1", "Enamel mug", 1200, "kitchen").await;
    app.create_product("KETTLE-1", "Copper kettle", 4500, "kitchen").await;
    app.create_product("HOSE-1", "Garden hose", 2500, "garden").await;
    app
}

fn skus(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn products_are_listed_newest_first_with_a_total() {
    let app = shop_with_products().await;
    let page = app.client.get_json("/api/v1/products").await;
    assert_eq!(skus(&page), ["HOSE-1", "KETTLE-1", "MUG-1"]);
    assert_eq!(page["total"], 3);
    assert_eq!(page["page"], 1);
}

#[tokio::test]
async fn pagination_splits_the_list() {
    let app = shop_with_products().await;
    let second = app.client.get_json("/api/v1/products?page=2&per_page=2").await;
    assert_eq!(skus(&second), ["MUG-1"]);
    assert_eq!(second["total"], 3);
}

#[tokio::test]
async fn bad_pagination_is_a_bad_request() {
    let app = spawn_app().await;
    for query in ["page=0", "per_page=1000", "page=-1", "page=abc"] {
        let (status, _) = error_of(app.client.get(&format!("/api/v1/products?{query}")).await).await;
        assert_eq!(status, 400, "{query}");
    }
}

#[tokio::test]
async fn products_filter_by_category() {
    let app = shop_with_products().await;
    let page = app.client.get_json("/api/v1/products?category=garden").await;
    assert_eq!(skus(&page), ["HOSE-1"]);
}

#[tokio::test]
async fn text_search_finds_words_in_name_and_description() {
    let app = shop_with_products().await;
    assert_eq!(skus(&app.client.get_json("/api/v1/products?q=kettle").await), ["KETTLE-1"]);
    assert_eq!(skus(&app.client.get_json("/api/v1/products?q=kettles").await), ["KETTLE-1"], "stemmed");
    assert_eq!(app.client.get_json("/api/v1/products?q=piano").await["total"], 0);
}

#[tokio::test]
async fn products_sort_by_price_and_name() {
    let app = shop_with_products().await;
    assert_eq!(skus(&app.client.get_json("/api/v1/products?sort=price_asc").await), ["MUG-1", "HOSE-1", "KETTLE-1"]);
    assert_eq!(skus(&app.client.get_json("/api/v1/products?sort=price_desc").await), ["KETTLE-1", "HOSE-1", "MUG-1"]);
    assert_eq!(skus(&app.client.get_json("/api/v1/products?sort=name").await), ["KETTLE-1", "MUG-1", "HOSE-1"]);
    let (status, code) = error_of(app.client.get("/api/v1/products?sort=random").await).await;
    assert_eq!((status, code.as_str()), (400, "invalid_query"));
}

#[tokio::test]
async fn product_detail_and_unknown_ids() {
    let app = shop_with_products().await;
    let mug = app.create_product("MUG-2", "Tall mug", 1500, "kitchen").await;
    let detail = app.client.get_json(&format!("/api/v1/products/{}", mug["id"])).await;
    assert_eq!(detail, mug);
    assert_eq!(error_of(app.client.get("/api/v1/products/999999").await).await, (404, "not_found".into()));
    assert_eq!(error_of(app.client.get("/api/v1/products/abc").await).await, (400, "invalid_path".into()));
}

#[tokio::test]
async fn admins_update_and_delete_products() {
    let app = shop_with_products().await;
    let mug = app.create_product("MUG-2", "Tall mug", 1500, "kitchen").await;
    let path = format!("/api/v1/products/{}", mug["id"]);

    let response = app.client.patch_as(&app.admin, &path, &json!({"price_cents": 1700, "category": "garden"})).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!((updated["price_cents"].as_i64(), updated["category"].as_str()), (Some(1700), Some("garden")));
    assert_eq!(updated["name"], "Tall mug", "fields not in the patch stay");

    assert_eq!(app.client.delete_as(&app.admin, &path).await.status(), 204);
    assert_eq!(app.client.get(&path).await.status(), 404);
    assert_eq!(error_of(app.client.delete_as(&app.admin, &path).await).await.0, 404);
}

#[tokio::test]
async fn only_admins_write_the_catalog() {
    let app = shop_with_products().await;
    let body = json!({"sku":"X-1","name":"X","price_cents":1,"currency":"EUR","category":"kitchen"});
    let anonymous = app.client.http.post(app.client.url("/api/v1/products")).json(&body).send().await.unwrap();
    assert_eq!(error_of(anonymous).await, (401, "unauthorized".into()));
    let as_customer = app.client.post_as(&customer(), "/api/v1/products", &body).await;
    assert_eq!(error_of(as_customer).await, (403, "forbidden".into()));
    let patch = app.client.patch_as(&customer(), "/api/v1/products/1", &json!({"price_cents": 1})).await;
    assert_eq!(error_of(patch).await.0, 403);
    assert_eq!(error_of(app.client.delete_as(&customer(), "/api/v1/products/1").await).await.0, 403);
}

#[tokio::test]
async fn bad_product_bodies_get_clear_client_errors() {
    let app = shop_with_products().await;
    let post = |body: String| {
        let app = &app;
        async move {
            let request =
                app.client.http.post(app.client.url("/api/v1/products")).header("content-type", "application/json");
            let request = platform::test_util::WithCaller::with_caller(request, &app.admin);
            error_of(request.body(body).send().await.unwrap()).await
        }
    };
    assert_eq!(post("{not json".into()).await, (400, "malformed_json".into()));
    assert_eq!(post(r#"{"sku":"A-1"}"#.into()).await, (422, "invalid_body".into()), "missing fields");
    let wrong_type = r#"{"sku":"A-1","name":"A","price_cents":"12","currency":"EUR","category":"kitchen"}"#;
    assert_eq!(post(wrong_type.into()).await, (422, "invalid_body".into()));
    let negative = r#"{"sku":"A-1","name":"A","price_cents":-1,"currency":"EUR","category":"kitchen"}"#;
    assert_eq!(post(negative.into()).await, (422, "invalid_body".into()));
    let bad_currency = r#"{"sku":"A-1","name":"A","price_cents":1,"currency":"euro","category":"kitchen"}"#;
    assert_eq!(post(bad_currency.into()).await, (422, "invalid_body".into()));
    let no_category = r#"{"sku":"A-1","name":"A","price_cents":1,"currency":"EUR","category":"toys"}"#;
    assert_eq!(post(no_category.into()).await, (422, "unknown_category".into()));
    let duplicate = r#"{"sku":"MUG-1","name":"A","price_cents":1,"currency":"EUR","category":"kitchen"}"#;
    assert_eq!(post(duplicate.into()).await, (409, "sku_taken".into()));
    let huge = format!(
        r#"{{"sku":"A-1","name":"A","description":"{}","price_cents":1,"currency":"EUR","category":"kitchen"}}"#,
        "x".repeat(200_000)
    );
    assert_eq!(post(huge).await, (413, "payload_too_large".into()));
}

#[tokio::test]
async fn a_missing_content_type_is_unsupported_media_type() {
    let app = spawn_app().await;
    let request = app.client.http.post(app.client.url("/api/v1/products")).body("{}");
    let request = platform::test_util::WithCaller::with_caller(request, &app.admin);
    assert_eq!(error_of(request.send().await.unwrap()).await.0, 415);
}
