//! The storefront (`services/web`) in front of the whole shop: its pages
//! over HTTP, and a shopper's path through them in a real browser.

use e2e::browser::Browser;
use e2e::{Options, Shop};

/// Products of one category, enough for two catalog pages (12 per page).
async fn stocked_shop() -> (Shop, i64) {
    let shop = Shop::start(Options::default()).await;
    for n in 1..=13 {
        shop.product(&format!("MUG-{n:02}"), 1000 + n, 1).await;
    }
    let kettle = shop.product("KETTLE-1", 2450, 1).await;
    (shop, kettle)
}

async fn page(shop: &Shop, path: &str) -> (u16, String) {
    let response = shop.web.get(path).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
    (status, response.text().await.unwrap())
}

fn products_on(html: &str) -> usize {
    html.matches(r#"<li class="product">"#).count()
}

#[tokio::test]
async fn the_catalog_pages_list_search_and_page_through_the_products_the_gateway_serves() {
    let (shop, kettle) = stocked_shop().await;

    let (status, first) = page(&shop, "/").await;
    assert_eq!(status, 200);
    assert!(first.contains("14 products"), "{first}");
    assert_eq!(products_on(&first), 12);
    assert!(first.contains(r#"href="/?page=2""#), "a link to the second page: {first}");
    assert!(first.contains(r#"<a href="/?category=things""#), "the category filter: {first}");

    let (_, second) = page(&shop, "/?page=2").await;
    assert_eq!(products_on(&second), 2);
    assert!(second.contains(r#"rel="prev" href="/?page=1""#), "{second}");

    // Searching keeps the phrase in the box and in the title.
    let (_, found) = page(&shop, "/?q=KETTLE").await;
    assert_eq!(products_on(&found), 1, "{found}");
    assert!(found.contains("The KETTLE-1") && found.contains("24.50 EUR"), "{found}");
    assert!(found.contains(r#"value="KETTLE""#), "{found}");

    // Text from the query is escaped, never markup.
    let (_, nothing) = page(&shop, "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(!nothing.contains("<script>") && nothing.contains("&lt;script&gt;"), "{nothing}");
    assert!(nothing.contains("Nothing matches."), "{nothing}");

    let (status, product) = page(&shop, &format!("/products/{kettle}")).await;
    assert_eq!(status, 200);
    assert!(product.contains("<h1>The KETTLE-1</h1>") && product.contains("SKU KETTLE-1"), "{product}");
    assert!(product.contains("You may also like") && product.contains("The MUG-"), "recommendations: {product}");
}

#[tokio::test]
async fn bad_requests_and_missing_products_get_pages_that_say_so() {
    let shop = Shop::start(Options::default()).await;
    for (path, status) in [
        ("/?page=0", 400),
        ("/?page=two", 400),
        ("/?category=Not%20A%20Slug", 400),
        ("/products/999999", 404),
        ("/products/not-a-number", 404),
        ("/no/such/page", 404),
    ] {
        let (got, html) = page(&shop, path).await;
        assert_eq!(got, status, "{path}: {html}");
        assert!(html.contains(r#"role="alert""#) && html.contains(r#"href="/""#), "{path}: {html}");
    }
}

#[tokio::test]
async fn pages_load_nothing_from_elsewhere_and_say_so_in_their_headers() {
    let shop = Shop::start(Options::default()).await;
    let response = shop.web.get("/").await;
    let headers = response.headers().clone();
    assert_eq!(headers["content-security-policy"], "default-src 'self'; frame-ancestors 'none'");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let html = response.text().await.unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "no absolute URL in the page: {html}");
    let css = shop.web.get("/static/shop.css").await;
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn a_shopper_finds_a_product_by_searching_and_following_links_in_a_real_browser() {
    let (shop, kettle) = stocked_shop().await;
    let browser = Browser::start(false).await;
    browser.goto(&shop.web.url("/")).await;
    assert_eq!(browser.text("p.count").await, "14 products");
    browser.screenshot("catalog").await;

    // The keyboard's first stop is the link past the header.
    let body = browser.client.active_element().await.unwrap();
    body.send_keys("\u{E004}").await.unwrap();
    let focused = browser.client.execute("return document.activeElement.textContent;", vec![]).await.unwrap();
    assert_eq!(focused, "Skip to content");

    // The search box is found by its label, as a screen reader finds it.
    let label_for = browser.wait_for("label[for=q]").await.attr("for").await.unwrap().unwrap();
    let search = browser.wait_for(&format!("#{label_for}")).await;
    search.send_keys("kettle").await.unwrap();
    browser.wait_for("form.search button[type=submit]").await.click().await.unwrap();
    assert_eq!(browser.text("h1").await, "Results for “kettle”");
    assert_eq!(browser.text("p.count").await, "1 products");

    browser.wait_for("ul.products li.product a").await.click().await.unwrap();
    assert_eq!(browser.text("h1").await, "The KETTLE-1");
    assert_eq!(browser.text("article p.price").await, "24.50 EUR");
    assert!(browser.client.current_url().await.unwrap().path().ends_with(&format!("/products/{kettle}")));
    browser.screenshot("product").await;
    browser.close().await;

    // On a phone-sized screen nothing is wider than the screen.
    let phone = Browser::start(true).await;
    phone.goto(&shop.web.url("/")).await;
    phone.wait_for("ul.products").await;
    let overflow = phone
        .client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(overflow, 0, "the page scrolls sideways on a phone");
    phone.screenshot("catalog-phone").await;
    phone.close().await;
}
