//! API v2 of products: money as a decimal string with its currency, and
//! cursor pages that neither skip nor repeat a product while the list moves.

use platform::test_util::error_of;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn shop_with(prices: &[(&str, i64)]) -> TestApp {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    for (sku, price) in prices {
        app.create_product(sku, &format!("Item {sku}"), *price, "kitchen").await;
    }
    app
}

fn skus(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["sku"].as_str().unwrap().to_owned()).collect()
}

/// Every page of `path` (which has a query string), following the cursors.
async fn walk(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = path.to_owned();
    loop {
        let page = app.client.get_json(&next).await;
        pages.push(skus(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}&cursor={cursor}"),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn prices_are_decimal_strings_with_their_currency() {
    let app = shop_with(&[("MUG-1", 1205)]).await;
    let page = app.client.get_json("/api/v2/products").await;
    assert_eq!(page["items"][0]["price"], json!({"amount": "12.05", "currency": "EUR"}));
    assert!(page["items"][0].get("price_cents").is_none());
    let id = page["items"][0]["id"].as_i64().unwrap();
    assert_eq!(app.client.get_json(&format!("/api/v2/products/{id}")).await["price"]["amount"], "12.05");
}

#[tokio::test]
async fn cursor_pages_cover_the_list_once_in_every_order() {
    let app = shop_with(&[("A-1", 300), ("B-1", 100), ("C-1", 300), ("D-1", 200), ("E-1", 100)]).await;
    let cases = [
        ("newest", vec![vec!["E-1", "D-1"], vec!["C-1", "B-1"], vec!["A-1"]]),
        // Equal prices are ordered by id, so a page boundary between them is exact.
        ("price_asc", vec![vec!["B-1", "E-1"], vec!["D-1", "A-1"], vec!["C-1"]]),
        ("price_desc", vec![vec!["C-1", "A-1"], vec!["D-1", "E-1"], vec!["B-1"]]),
        ("name", vec![vec!["A-1", "B-1"], vec!["C-1", "D-1"], vec!["E-1"]]),
    ];
    for (sort, expected) in cases {
        let pages = walk(&app, &format!("/api/v2/products?limit=2&sort={sort}")).await;
        assert_eq!(pages, expected, "sort={sort}");
    }
}

#[tokio::test]
async fn a_product_added_while_paging_neither_shifts_nor_repeats_the_next_page() {
    let app = shop_with(&[("A-1", 100), ("B-1", 100), ("C-1", 100)]).await;
    let first = app.client.get_json("/api/v2/products?limit=2").await;
    assert_eq!(skus(&first), ["C-1", "B-1"]);
    // Offsets would now show B-1 again on page 2; the cursor continues after it.
    app.create_product("D-1", "Item D-1", 100, "kitchen").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.client.get_json(&format!("/api/v2/products?limit=2&cursor={cursor}")).await;
    assert_eq!(skus(&second), ["A-1"]);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn filters_and_search_apply_to_every_cursor_page() {
    let app = shop_with(&[("MUG-1", 100), ("MUG-2", 100), ("KETTLE-1", 100)]).await;
    app.create_category("garden", "Garden").await;
    app.create_product("HOSE-1", "Garden hose", 100, "garden").await;
    let pages = walk(&app, "/api/v2/products?limit=1&category=kitchen&q=item").await;
    assert_eq!(pages, [vec!["KETTLE-1"], vec!["MUG-2"], vec!["MUG-1"]]);
}

#[tokio::test]
async fn edited_or_foreign_cursors_and_bad_limits_are_bad_requests() {
    let app = shop_with(&[("A-1", 100), ("B-1", 200)]).await;
    let first = app.client.get_json("/api/v2/products?limit=1&sort=price_asc").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let cases = [
        (format!("/api/v2/products?sort=name&cursor={cursor}"), "invalid_cursor"),
        ("/api/v2/products?cursor=bm90LWEtY3Vyc29y".to_owned(), "invalid_cursor"),
        ("/api/v2/products?cursor=%%%".to_owned(), "invalid_cursor"),
        ("/api/v2/products?limit=0".to_owned(), "invalid_pagination"),
        ("/api/v2/products?limit=101".to_owned(), "invalid_pagination"),
    ];
    for (path, code) in cases {
        let (status, actual) = error_of(app.client.get(&path).await).await;
        assert_eq!((status, actual.as_str()), (400, code), "{path}");
    }
}

#[tokio::test]
async fn admins_write_prices_as_decimal_money() {
    let app = spawn_app().await;
    app.create_category("kitchen", "Kitchen").await;
    let body =
        json!({"sku": "MUG-1", "name": "Mug", "price": {"amount": "12.5", "currency": "EUR"}, "category": "kitchen"});
    let created = app.client.post_as(&app.admin, "/api/v2/products", &body).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["price"], json!({"amount": "12.50", "currency": "EUR"}));
    let id = created["id"].as_i64().unwrap();
    // v1 reads the same price in minor units.
    assert_eq!(app.client.get_json(&format!("/api/v1/products/{id}")).await["price_cents"], 1250);

    let patch = json!({"price": {"amount": "2599", "currency": "JPY"}});
    let changed: Value =
        app.client.patch_as(&app.admin, &format!("/api/v2/products/{id}"), &patch).await.json().await.unwrap();
    assert_eq!(changed["price"], json!({"amount": "2599", "currency": "JPY"}));

    for bad in [
        json!({"amount": "12.505", "currency": "EUR"}),
        json!({"amount": 12.5, "currency": "EUR"}),
        json!({"amount": "-1", "currency": "EUR"}),
    ] {
        let patch = json!({"price": bad});
        let response = app.client.patch_as(&app.admin, &format!("/api/v2/products/{id}"), &patch).await;
        assert_eq!(error_of(response).await.0, 422, "{bad}");
    }
}

#[tokio::test]
async fn v2_recommendations_show_decimal_money() {
    let app = shop_with(&[("A-1", 100), ("B-1", 250)]).await;
    let general = app.client.get_json("/api/v2/recommendations?limit=1").await;
    assert_eq!(general["items"][0]["price"], json!({"amount": "2.50", "currency": "EUR"}));
    let id = general["items"][0]["id"].as_i64().unwrap();
    let related = app.client.get_json(&format!("/api/v2/products/{id}/recommendations")).await;
    assert_eq!(related["items"][0]["price"]["amount"], "1.00");
}
