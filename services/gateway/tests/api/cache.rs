use std::time::Duration;

use serde_json::json;

use crate::helpers::{ShopBuilder, spawn_shop};

#[tokio::test]
async fn catalog_reads_are_served_from_the_cache_until_a_write() {
    let shop = spawn_shop().await;
    let products = shop.seed_catalog().await;
    let first = shop.gateway.get("/api/v1/products").await;
    assert_eq!(first.headers()["x-cache"], "MISS");
    let second = shop.gateway.get("/api/v1/products").await;
    assert_eq!(second.headers()["x-cache"], "HIT");
    assert_eq!(second.text().await.unwrap(), first.text().await.unwrap());
    assert_eq!(
        shop.gateway.get("/api/v1/products?page=1").await.headers()["x-cache"],
        "MISS",
        "the query is part of the key"
    );

    let admin = shop.admin_token().await;
    let path = format!("/api/v1/products/{}", products[0]["id"]);
    shop.send_with(reqwest::Method::PATCH, &admin, &path, &json!({"price_cents": 1})).await;
    let after_write = shop.gateway.get("/api/v1/products").await;
    assert_eq!(after_write.headers()["x-cache"], "MISS", "writes invalidate");
    assert!(shop.metric(r#"gateway_cache_requests_total{result="hit"}"#).await >= 1.0);
}

#[tokio::test]
async fn errors_are_not_cached() {
    let shop = spawn_shop().await;
    assert_eq!(shop.gateway.get("/api/v1/products/4242").await.status(), 404);
    assert_eq!(shop.gateway.get("/api/v1/products/4242").await.headers()["x-cache"], "MISS");
}

#[tokio::test]
async fn when_catalog_is_down_cached_reads_are_served_marked_degraded() {
    // Nothing is fresh: every read asks catalog, the cache is only a fallback.
    let mut shop = ShopBuilder::default().cache_fresh_for(Duration::ZERO).spawn().await;
    shop.seed_catalog().await;
    let live = shop.gateway.get("/api/v1/products").await;
    assert_eq!(live.headers()["x-cache"], "MISS");
    let live_body = live.text().await.unwrap();

    shop.catalogs[0].stop();
    let fallback = shop.gateway.get("/api/v1/products").await;
    assert_eq!(fallback.status(), 200);
    assert_eq!(fallback.headers()["x-cache"], "STALE");
    assert_eq!(fallback.headers()["x-degraded"], "catalog-unavailable");
    assert_eq!(fallback.text().await.unwrap(), live_body);

    let never_cached = shop.gateway.get("/api/v1/categories").await;
    assert_eq!(platform::test_util::error_of(never_cached).await, (503, "dependency_unavailable".into()));
}

#[tokio::test]
async fn when_catalog_is_down_recommendations_fall_back_to_an_empty_list() {
    let mut shop = ShopBuilder::default().spawn().await;
    shop.catalogs[0].stop();
    let response = shop.gateway.get("/api/v1/recommendations?limit=3").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-degraded"], "catalog-unavailable");
    assert_eq!(response.headers()["x-cache"], "FALLBACK");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"items": []}));
    assert!(shop.metric(r#"gateway_cache_requests_total{result="fallback"}"#).await >= 1.0);
    // Other catalog reads have no stand-in: a clear 503.
    assert_eq!(platform::test_util::error_of(shop.gateway.get("/api/v1/products/1").await).await.0, 503);
}

#[tokio::test]
async fn with_the_cache_off_every_read_reaches_catalog_and_nothing_is_kept_for_outages() {
    let mut shop = ShopBuilder::default().cache_enabled(false).spawn().await;
    shop.seed_catalog().await;
    for _ in 0..2 {
        let read = shop.gateway.get("/api/v1/products").await;
        assert_eq!(read.status(), 200);
        assert!(read.headers().get("x-cache").is_none(), "forwarded as it is, not through the cache");
    }
    shop.catalogs[0].stop();
    let read = shop.gateway.get("/api/v1/products").await;
    assert_eq!(read.status(), 503, "no stale copy to fall back on");
    assert_eq!(shop.metric("gateway_cache_requests_total").await, 0.0);
}
