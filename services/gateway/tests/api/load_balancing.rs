use crate::helpers::{ShopBuilder, metric_value};

async fn requests_served(address: std::net::SocketAddr) -> f64 {
    let text = reqwest::get(format!("http://{address}/metrics")).await.unwrap().text().await.unwrap();
    metric_value(&text, r#"http_server_request_duration_seconds_count{http_route="/api/v1/products""#)
}

#[tokio::test]
async fn requests_are_spread_over_every_instance() {
    let shop = ShopBuilder::default().catalog_instances(2, 0).spawn().await;
    for page in 1..=10 {
        // Distinct queries, so that none is answered from the cache.
        assert_eq!(shop.get(&format!("/api/v1/products?page={page}")).await.status(), 200);
    }
    let (a, b) = (requests_served(shop.catalogs[0].address).await, requests_served(shop.catalogs[1].address).await);
    assert_eq!(a + b, 10.0);
    assert_eq!((a, b), (5.0, 5.0), "round robin");
}

#[tokio::test]
async fn a_dead_instance_costs_no_request() {
    let shop = ShopBuilder::default().catalog_instances(1, 1).spawn().await;
    for page in 1..=10 {
        assert_eq!(shop.get(&format!("/api/v1/products?page={page}")).await.status(), 200, "request {page}");
    }
    assert_eq!(requests_served(shop.catalogs[0].address).await, 10.0, "the live instance took them all");
}

#[tokio::test]
async fn an_instance_that_stops_is_taken_out_of_rotation() {
    let mut shop = ShopBuilder::default().catalog_instances(2, 0).spawn().await;
    assert_eq!(shop.get("/api/v1/products?page=1").await.status(), 200);
    shop.catalogs[1].stop();
    for page in 2..=11 {
        assert_eq!(shop.get(&format!("/api/v1/products?page={page}")).await.status(), 200, "request {page}");
    }
}
