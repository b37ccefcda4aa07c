use std::net::IpAddr;

use platform::test_util::error_of;

use crate::helpers::ShopBuilder;

/// A client whose connections come from `ip` (any 127.0.0.0/8 address works on loopback).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(ip)).build().unwrap()
}

#[tokio::test]
async fn an_anonymous_client_over_its_limit_gets_429_and_others_do_not() {
    let shop = ShopBuilder::default().rate_limit_burst(3).spawn().await;
    let noisy = client_from([127, 0, 0, 2]);
    let quiet = client_from([127, 0, 0, 3]);
    let url = shop.gateway.url("/api/v1/categories");

    for _ in 0..3 {
        assert_eq!(noisy.get(&url).send().await.unwrap().status(), 200, "within the burst");
    }
    let refused = noisy.get(&url).send().await.unwrap();
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "retry after {retry_after}s at 1 request/min");
    assert_eq!(error_of(refused).await, (429, "rate_limited".into()));

    assert_eq!(quiet.get(&url).send().await.unwrap().status(), 200, "another client is unaffected");
    assert!(shop.metric(r#"gateway_rate_limited_requests_total{client_kind="ip"}"#).await >= 1.0);
}

#[tokio::test]
async fn authenticated_clients_are_limited_per_user_not_per_address() {
    let shop = ShopBuilder::default().rate_limit_burst(3).spawn().await;
    // Registration and login use up the anonymous budget of this address ...
    let ada = shop.customer_token("ada@example.org").await;
    let url = shop.gateway.url("/api/v1/users/me");
    // ... but Ada has her own bucket.
    for _ in 0..3 {
        assert_eq!(shop.gateway.http.get(&url).bearer_auth(&ada).send().await.unwrap().status(), 200);
    }
    let refused = shop.gateway.http.get(&url).bearer_auth(&ada).send().await.unwrap();
    assert_eq!(error_of(refused).await.0, 429);
    assert!(shop.metric(r#"gateway_rate_limited_requests_total{client_kind="user"}"#).await >= 1.0);
}
