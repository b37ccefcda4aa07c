//! Consumer: the storefront (`services/web`) → the gateway's public API.
//! The real storefront runs in-process with its gateway pointed at a pact
//! mock server, and the test asks it for pages as a browser would: the pact
//! records the API calls each page makes and the fields it shows.

mod common;

use common::*;
use pact_consumer::prelude::*;
use platform::test_util::serve;

/// A product with the fields the pages show (the API has more).
fn product() -> JsonPattern {
    json_pattern!({
        "id": like!(42),
        "sku": like!("MUG-1"),
        "name": like!("Enamel mug"),
        "description": like!("Blue enamel, 350 ml"),
        "price_cents": like!(1250),
        "currency": like!("EUR"),
        "category": like!("things"),
    })
}

fn gateway_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("web", "gateway");
    pact.with_output_dir(pacts_dir())
        .interaction("the first page of the catalog", "", |mut i| {
            i.given("a product exists");
            i.request.get().path("/api/v1/products").query_param("page", "1").query_param("per_page", "12");
            i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
                "items": each_like!(product()),
                "page": like!(1),
                "per_page": like!(12),
                "total": like!(1),
            }));
            i
        })
        .interaction("the categories", "", |mut i| {
            i.given("a product exists");
            i.request.get().path("/api/v1/categories");
            i.response
                .status(200)
                .header("content-type", "application/json")
                .json_body(json_pattern!(each_like!({ "slug": like!("things"), "name": like!("Things") })));
            i
        })
        .interaction("a product for its page", "", |mut i| {
            i.given("products of one category exist");
            i.request.get().path_from_provider_state("/api/v1/products/${product_id}", "/api/v1/products/42");
            i.response.status(200).header("content-type", "application/json").json_body(product());
            i
        })
        .interaction("what to show beside a product", "", |mut i| {
            i.given("products of one category exist");
            i.request
                .get()
                .path_from_provider_state(
                    "/api/v1/products/${product_id}/recommendations",
                    "/api/v1/products/42/recommendations",
                )
                .query_param("limit", "4");
            i.response
                .status(200)
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "items": each_like!(product()) }));
            i
        });
    pact
}

#[tokio::test]
async fn the_storefront_s_pages_need_only_what_the_gateway_s_api_gives() {
    install_crypto_provider();
    let gateway = gateway_pact().start_mock_server(None, None);
    let mut settings = web::configuration::Settings::for_tests(gateway.url().as_str().trim_end_matches('/'));
    settings.gateway.resilience.retries = 0;
    let web = serve(web::startup::build(settings).await).client();

    let catalog = web.get("/").await;
    assert_eq!(catalog.status(), 200, "the catalog page");
    let catalog = catalog.text().await.unwrap();
    assert!(catalog.contains("Enamel mug") && catalog.contains("12.50 EUR") && catalog.contains("Things"), "{catalog}");

    let product = web.get("/products/42").await;
    assert_eq!(product.status(), 200, "the product page");
    let product = product.text().await.unwrap();
    assert!(product.contains("Blue enamel, 350 ml") && product.contains("You may also like"), "{product}");
}
