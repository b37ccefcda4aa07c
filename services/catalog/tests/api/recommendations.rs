use platform::test_util::error_of;

use crate::helpers::spawn_app;

#[tokio::test]
async fn recommendations_are_other_products_of_the_same_category() {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    app.create_category("garden", "Garden").await;
    let mug = app.create_product("MUG-1", "Mug", 1200, "kitchen").await;
    app.create_product("KETTLE-1", "Kettle", 4500, "kitchen").await;
    app.create_product("HOSE-1", "Hose", 2500, "garden").await;

    let recommended = app.client.get_json(&format!("/api/v1/products/{}/recommendations", mug["id"])).await;
    let skus: Vec<&str> = recommended["items"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap()).collect();
    assert_eq!(skus, ["KETTLE-1"]);
}

#[tokio::test]
async fn general_recommendations_are_bounded_and_newest_first() {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    for i in 0..4 {
        app.create_product(&format!("P-{i}"), &format!("Product {i}"), 100, "kitchen").await;
    }
    let recommended = app.client.get_json("/api/v1/recommendations?limit=2").await;
    assert_eq!(recommended["items"].as_array().unwrap().len(), 2);
    assert_eq!(recommended["items"][0]["sku"], "P-3");
    assert_eq!(error_of(app.client.get("/api/v1/recommendations?limit=500").await).await.0, 400);
    assert_eq!(error_of(app.client.get("/api/v1/products/424242/recommendations").await).await.0, 404);
}
