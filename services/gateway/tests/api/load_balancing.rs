use std::time::Duration;

use platform::test_util::eventually;

use crate::helpers::{Shop, ShopBuilder, metric_value};

async fn requests_served(address: std::net::SocketAddr) -> f64 {
    let text = reqwest::get(format!("http://{address}/metrics")).await.unwrap().text().await.unwrap();
    metric_value(&text, r#"http_server_request_duration_seconds_count{http_route="/api/v1/products""#)
}

#[tokio::test]
async fn requests_are_spread_over_every_instance() {
    let shop = ShopBuilder::default().catalog_instances(2, 0).spawn().await;
    for page in 1..=10 {
        // Distinct queries, so that none is answered from the cache.
        assert_eq!(shop.gateway.get(&format!("/api/v1/products?page={page}")).await.status(), 200);
    }
    let (a, b) = (requests_served(shop.catalogs[0].address).await, requests_served(shop.catalogs[1].address).await);
    assert_eq!(a + b, 10.0);
    assert_eq!((a, b), (5.0, 5.0), "round robin");
}

#[tokio::test]
async fn a_dead_instance_costs_no_request() {
    let shop = ShopBuilder::default().catalog_instances(1, 1).spawn().await;
    for page in 1..=10 {
        assert_eq!(shop.gateway.get(&format!("/api/v1/products?page={page}")).await.status(), 200, "request {page}");
    }
    assert_eq!(requests_served(shop.catalogs[0].address).await, 10.0, "the live instance took them all");
}

#[tokio::test]
async fn an_instance_that_stops_is_taken_out_of_rotation() {
    let mut shop = ShopBuilder::default().catalog_instances(2, 0).spawn().await;
    assert_eq!(shop.gateway.get("/api/v1/products?page=1").await.status(), 200);
    shop.catalogs[1].stop();
    for page in 2..=11 {
        assert_eq!(shop.gateway.get(&format!("/api/v1/products?page={page}")).await.status(), 200, "request {page}");
    }
}

/// Catalog as the gateway's clients see it (the cache is off in these tests:
/// every request goes to an instance).
async fn list_products(shop: &Shop) -> u16 {
    shop.gateway.get("/api/v1/products").await.status().as_u16()
}

#[tokio::test]
async fn a_dead_instance_is_tried_once_then_left_alone_for_the_ejection_window() {
    // No retries: a request sent to the dead instance fails where the client
    // sees it. The window (10 s) outlasts the requests below many times over.
    let shop = ShopBuilder::default()
        .catalog_instances(1, 1)
        .catalog_retries(0)
        .catalog_eject_for(Duration::from_secs(10))
        .cache_enabled(false)
        .spawn()
        .await;
    let live = shop.catalogs[0].address;

    // Round robin over two instances reaches the dead one within two requests.
    let first_two = [list_products(&shop).await, list_products(&shop).await];
    let failures = first_two.iter().filter(|&&status| status != 200).count();
    assert_eq!(failures, 1, "exactly one request reached the dead instance: {first_two:?}");
    assert!(first_two.contains(&503), "{first_two:?}");

    for request in 1..=10 {
        assert_eq!(list_products(&shop).await, 200, "request {request} after the ejection");
    }
    assert_eq!(requests_served(live).await, 11.0, "the live instance took every request but the failed one");
}

#[tokio::test]
async fn an_ejected_instance_is_left_alone_until_its_window_ends_and_then_used_again() {
    let shop = ShopBuilder::default()
        .catalog_instances(1, 0)
        .relayed_catalog_instances(1)
        .catalog_retries(0)
        .catalog_eject_for(Duration::from_secs(2))
        .cache_enabled(false)
        .spawn()
        .await;
    let live = shop.catalogs[0].address;
    let (flaky, relay) = (shop.catalogs[1].address, shop.catalogs[1].relay.as_ref().unwrap());
    assert_eq!([list_products(&shop).await, list_products(&shop).await], [200, 200]);
    assert_eq!((requests_served(live).await, requests_served(flaky).await), (1.0, 1.0), "round robin");

    // The instance becomes unreachable: the one request sent to it fails.
    relay.cut();
    let mut failures = 0;
    for _ in 0..2 {
        match list_products(&shop).await {
            200 => {}
            status => {
                assert_eq!(status, 503);
                failures += 1;
                break;
            }
        }
    }
    assert_eq!(failures, 1, "one request reached the cut-off instance");

    // It is reachable again at once, yet stays out of rotation until its
    // window ends (three requests take far less than its 2 s): everything
    // goes to the other instance.
    relay.restore();
    let served_live = requests_served(live).await;
    for request in 1..=3 {
        assert_eq!(list_products(&shop).await, 200, "request {request} during the window");
    }
    assert_eq!(requests_served(flaky).await, 1.0, "no request for the ejected instance during its window");
    assert_eq!(requests_served(live).await, served_live + 3.0);

    // After the window it is tried again, and answers.
    eventually("the ejected instance is back in rotation", Duration::from_secs(15), || async {
        assert_eq!(list_products(&shop).await, 200);
        requests_served(flaky).await > 1.0
    })
    .await;
}
