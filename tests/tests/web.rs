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
    // Enough for every checkout a test makes.
    let kettle = shop.product("KETTLE-1", 2450, 10).await;
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
    // A click starts a navigation: wait for the next page, not the last one.
    let next_page = std::time::Duration::from_secs(10);
    browser.wait_for_text("h1", "Results for “kettle”", next_page).await;
    assert_eq!(browser.text("p.count").await, "1 products");

    browser.wait_for("ul.products li.product a").await.click().await.unwrap();
    browser.wait_for_text("h1", "The KETTLE-1", next_page).await;
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

#[tokio::test]
async fn a_shopper_signs_up_checks_out_with_each_test_card_and_follows_the_orders_in_a_real_browser() {
    let (shop, kettle) = stocked_shop().await;
    let browser = Browser::start(false).await;
    let wait = std::time::Duration::from_secs(30);

    browser.sign_up(&shop.web.address, "grace@example.org", "Grace", Some("signup")).await;

    // The good card: the saga confirms the order, the page follows it.
    browser.goto(&shop.web.url(&format!("/products/{kettle}"))).await;
    browser.press("Add to cart").await;
    assert_eq!(browser.text("table.lines tbody td a").await, "The KETTLE-1");
    browser.screenshot("cart").await;
    browser.press("Place the order").await;
    browser.wait_for_text(".order-status", "CONFIRMED", wait).await;
    assert_eq!(browser.text("p.total").await, "Total: 24.50 EUR");
    browser.screenshot("order-confirmed").await;
    let confirmed = browser.client.current_url().await.unwrap().path().to_owned();
    assert_eq!(browser.text("a[href='/cart']").await, "Cart (0)", "the cart is spent");

    // The declining card: cancelled, with the provider's reason.
    browser.goto(&shop.web.url(&format!("/products/{kettle}"))).await;
    browser.press("Add to cart").await;
    browser.wait_for("#card-tok_decline").await.click().await.unwrap();
    browser.press("Place the order").await;
    browser.wait_for_text(".order-status", "CANCELLED", wait).await;
    let reason = browser.text(".cancel-reason").await;
    assert_eq!(reason, "the card was declined");
    browser.screenshot("order-cancelled").await;

    // Both outcomes were notified; the list links to the orders.
    platform::test_util::eventually("both orders notified", wait, || async {
        browser.goto(&shop.web.url("/notifications")).await;
        browser.client.find_all(fantoccini::Locator::Css("li.notification")).await.is_ok_and(|n| n.len() >= 2)
    })
    .await;
    let links = browser.client.find_all(fantoccini::Locator::Css("li.notification a")).await.unwrap();
    let mut targets = Vec::new();
    for link in links {
        targets.push(link.attr("href").await.unwrap().unwrap());
    }
    assert!(targets.contains(&confirmed), "{confirmed} in {targets:?}");
    browser.screenshot("notifications").await;

    // The main pages pass axe-core's audit: nothing serious or critical
    // (which the audit does find on a page made to fail it).
    browser.goto("data:text/html,<html><body><img src='a.png'><input type='text'></body></html>").await;
    let failing = browser.serious_accessibility_violations().await;
    assert!(failing.iter().any(|v| v.contains("image-alt")), "{failing:?}");
    let mut violations = Vec::new();
    for path in ["/", &format!("/products/{kettle}"), "/cart", &confirmed, "/notifications", "/login", "/signup"] {
        browser.goto(&shop.web.url(path)).await;
        browser.wait_for("main").await;
        violations.extend(browser.serious_accessibility_violations().await.into_iter().map(|v| format!("{path}: {v}")));
    }
    assert!(violations.is_empty(), "accessibility violations:\n{}", violations.join("\n"));
    browser.close().await;
}

/// A client that keeps the storefront's cookies by hand and does not follow
/// redirects, to see each answer as it is.
struct Visitor {
    http: reqwest::Client,
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
}

impl Visitor {
    fn new(shop: &Shop) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, base: shop.web.url(""), cookies: Default::default() }
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let (pair, _) = value.to_str().unwrap().split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// GETs a page; returns its status, body and the CSRF token of its forms.
    async fn get(&mut self, path: &str) -> (u16, String, String) {
        let response =
            self.http.get(format!("{}{path}", self.base)).header("cookie", self.cookie_header()).send().await.unwrap();
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let html = response.text().await.unwrap();
        let csrf = html
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .unwrap_or_default();
        (status, html, csrf)
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }
}

#[tokio::test]
async fn forms_without_the_browser_s_csrf_token_are_refused_and_own_pages_need_a_login() {
    let (shop, kettle) = stocked_shop().await;
    let kettle = kettle.to_string();
    let mut visitor = Visitor::new(&shop);
    let (_, _, csrf) = visitor.get(&format!("/products/{kettle}")).await;
    assert!(!csrf.is_empty() && visitor.cookies.contains_key("csrf"), "the first page sets the nonce");

    // No token, a token made up, another browser's token: 403, cart untouched.
    let mut stranger = Visitor::new(&shop);
    let (_, _, strangers_token) = stranger.get("/").await;
    for token in ["", "made-up", strangers_token.as_str()] {
        let refused = visitor.post("/cart/add", &[("csrf", token), ("product_id", &kettle), ("quantity", "1")]).await;
        assert_eq!(refused.status(), 403, "token {token:?}");
        assert!(!visitor.cookies.contains_key("cart"));
    }
    let added = visitor.post("/cart/add", &[("csrf", &csrf), ("product_id", &kettle), ("quantity", "2")]).await;
    assert_eq!(added.status(), 303);
    assert_eq!(visitor.cookies["cart"], format!("{kettle}-2"));

    // Checking out, an order page, the notifications: log in first.
    let checkout = visitor.post("/checkout", &[("csrf", &csrf), ("card", "tok_visa"), ("key", "k-1")]).await;
    assert_eq!((checkout.status().as_u16(), checkout.headers()["location"].to_str().unwrap()), (303, "/login"));
    for path in ["/notifications", "/orders/0190c0de-0000-7000-8000-000000000001"] {
        let response = visitor.http.get(format!("{}{path}", visitor.base)).send().await.unwrap();
        assert_eq!((response.status().as_u16(), response.headers()["location"].to_str().unwrap()), (303, "/login"));
    }

    // A made-up card is not a card; wrong credentials say so on the form.
    shop.register("mallory@example.org").await;
    let bad = visitor.post("/login", &[("csrf", &csrf), ("email", "mallory@example.org"), ("password", "wrong")]).await;
    assert_eq!(bad.status(), 401);
    assert!(bad.text().await.unwrap().contains(r#"role="alert""#));
    let good =
        visitor.post("/login", &[("csrf", &csrf), ("email", "mallory@example.org"), ("password", e2e::PASSWORD)]).await;
    assert_eq!(good.status(), 303);
    assert!(visitor.cookies.get("session").is_some_and(|t| !t.is_empty()), "logged in");
    let made_up = visitor.post("/checkout", &[("csrf", &csrf), ("card", "tok_free_money"), ("key", "k-2")]).await;
    assert_eq!(made_up.status(), 400);

    // Someone else's order is no order of this visitor's.
    let other = shop.register("ada@example.org").await;
    let order = shop.order(&other, &[(kettle.parse().unwrap(), 1)], "tok_visa").await;
    let order_id = order.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let (status, _, _) = visitor.get(&format!("/orders/{order_id}")).await;
    assert_eq!(status, 404);
}
