//! The shop's traffic, as goose scenarios, weighted like a shop's: most
//! visitors browse, some buy, a few come back to look at their orders, an
//! admin keeps the shelves stocked. Every request is named
//! `<transaction>: <step>` so the report reads as a story.

use std::sync::OnceLock;
use std::time::Duration;

use goose::prelude::*;
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use crate::session;
use crate::traffic::{call, json_of, user_agent};

/// What the set-up created, for the scenarios to use.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub product_ids: Vec<i64>,
    pub categories: Vec<String>,
    pub admin_email: String,
    pub admin_password: String,
    pub profile: String,
}

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

pub fn install(catalogue: Catalogue) {
    crate::traffic::label_as(&catalogue.profile);
    let _ = CATALOGUE.set(catalogue);
}

fn catalogue() -> &'static Catalogue {
    CATALOGUE.get().expect("set-up ran before the load")
}

fn product() -> i64 {
    *catalogue().product_ids.choose(&mut rand::thread_rng()).expect("products were set up")
}

async fn think(user: &mut GooseUser) {
    let _ = user;
    let (low, high) = THINK.get().copied().unwrap_or((500, 1500));
    let pause = rand::thread_rng().gen_range(low..=high);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

static THINK: OnceLock<(u64, u64)> = OnceLock::new();

/// Think time between steps, in milliseconds (from the profile).
pub fn set_think_time(range: (u64, u64)) {
    let _ = THINK.set(range);
}

/// Every user gets its own HTTP client, identified as load; from here it
/// counts as active until [`leave`].
async fn identify(user: &mut GooseUser) -> TransactionResult {
    if let Some(live) = crate::live::get() {
        live.user_started();
    }
    let builder = reqwest::Client::builder()
        .user_agent(user_agent(&catalogue().profile))
        .cookie_store(true)
        .timeout(Duration::from_secs(30));
    user.set_client_builder(builder).await?;
    Ok(())
}

/// The user stops (goose runs this on every user it stops).
async fn leave(user: &mut GooseUser) -> TransactionResult {
    let _ = user;
    if let Some(live) = crate::live::get() {
        live.user_stopped();
    }
    Ok(())
}

// ---- anonymous browsing ------------------------------------------------

// What a visitor reads, shared by the users and the open-loop arrivals.

fn list_products_path() -> String {
    let page = rand::thread_rng().gen_range(1..=3);
    format!("/api/v1/products?page={page}&per_page=20")
}

fn category_path() -> String {
    let category = catalogue().categories.choose(&mut rand::thread_rng()).cloned().unwrap_or_default();
    let sort =
        ["newest", "price_asc", "price_desc", "name"].choose(&mut rand::thread_rng()).copied().unwrap_or("newest");
    format!("/api/v1/products?category={category}&sort={sort}")
}

fn search_path() -> String {
    let words = ["mug", "kettle", "lamp", "chair", "load"];
    let word = words.choose(&mut rand::thread_rng()).copied().unwrap_or("mug");
    format!("/api/v1/products?q={word}")
}

/// One open-loop arrival: a visitor's read, drawn with the weights of
/// anonymous browsing; (request name, path).
pub fn arrival_request() -> (&'static str, String) {
    match rand::thread_rng().gen_range(0..10) {
        0..=2 => ("browse: list products", list_products_path()),
        3..=4 => ("browse: filter by category", category_path()),
        5..=6 => ("browse: search", search_path()),
        _ => ("browse: product detail", format!("/api/v1/products/{}", product())),
    }
}

async fn browse_products(user: &mut GooseUser) -> TransactionResult {
    call(user, GooseMethod::Get, &list_products_path(), "browse: list products", None, None).await?;
    think(user).await;
    Ok(())
}

async fn browse_category(user: &mut GooseUser) -> TransactionResult {
    call(user, GooseMethod::Get, &category_path(), "browse: filter by category", None, None).await?;
    think(user).await;
    Ok(())
}

async fn search(user: &mut GooseUser) -> TransactionResult {
    call(user, GooseMethod::Get, &search_path(), "browse: search", None, None).await?;
    think(user).await;
    Ok(())
}

async fn product_detail(user: &mut GooseUser) -> TransactionResult {
    let id = product();
    call(user, GooseMethod::Get, &format!("/api/v1/products/{id}"), "browse: product detail", None, None).await?;
    call(user, GooseMethod::Get, &format!("/api/v1/inventory/{id}"), "browse: availability", None, None).await?;
    call(
        user,
        GooseMethod::Get,
        &format!("/api/v1/products/{id}/recommendations?limit=4"),
        "browse: recommendations",
        None,
        None,
    )
    .await?;
    think(user).await;
    Ok(())
}

pub fn anonymous_browsing() -> Result<Scenario, GooseError> {
    Ok(scenario!("anonymous browsing")
        .set_weight(6)?
        .register_transaction(transaction!(identify).set_on_start())
        .register_transaction(transaction!(leave).set_on_stop())
        .register_transaction(transaction!(browse_products).set_name("list products").set_weight(3)?)
        .register_transaction(transaction!(browse_category).set_name("filter by category").set_weight(2)?)
        .register_transaction(transaction!(search).set_name("search").set_weight(2)?)
        .register_transaction(transaction!(product_detail).set_name("product detail").set_weight(3)?))
}

// ---- storefront visitor --------------------------------------------------

static STOREFRONT: OnceLock<String> = OnceLock::new();

/// Where the storefront is (`--web`); without it, no one visits it.
pub fn set_storefront_url(url: &str) {
    let _ = STOREFRONT.set(url.to_owned());
}

pub fn storefront_url() -> Option<&'static str> {
    STOREFRONT.get().map(String::as_str)
}

/// A page of the storefront (an absolute URL: goose sends it there, not
/// to the gateway).
fn page(path: &str) -> String {
    format!("{}{path}", storefront_url().expect("the storefront's URL is set before its scenario runs"))
}

async fn storefront_catalog(user: &mut GooseUser) -> TransactionResult {
    let page_number = rand::thread_rng().gen_range(1..=2);
    call(user, GooseMethod::Get, &page(&format!("/?page={page_number}")), "storefront: catalog page", None, None)
        .await?;
    think(user).await;
    Ok(())
}

async fn storefront_search(user: &mut GooseUser) -> TransactionResult {
    let word = ["mug", "kettle", "lamp", "chair", "load"].choose(&mut rand::thread_rng()).copied().unwrap_or("mug");
    call(user, GooseMethod::Get, &page(&format!("/?q={word}")), "storefront: search", None, None).await?;
    think(user).await;
    Ok(())
}

async fn storefront_product(user: &mut GooseUser) -> TransactionResult {
    let id = product();
    call(user, GooseMethod::Get, &page(&format!("/products/{id}")), "storefront: product page", None, None).await?;
    think(user).await;
    Ok(())
}

/// A visitor in a browser: the storefront's pages, each of which calls the
/// gateway in turn (only registered when the storefront's URL is given).
pub fn storefront_visitor() -> Result<Scenario, GooseError> {
    Ok(scenario!("storefront visitor")
        .set_weight(3)?
        .register_transaction(transaction!(identify).set_on_start())
        .register_transaction(transaction!(leave).set_on_stop())
        .register_transaction(transaction!(storefront_catalog).set_name("catalog page").set_weight(3)?)
        .register_transaction(transaction!(storefront_search).set_name("search").set_weight(2)?)
        .register_transaction(transaction!(storefront_product).set_name("product page").set_weight(3)?))
}

// ---- shopper -------------------------------------------------------------

/// A new customer: registers, logs in.
async fn sign_up(user: &mut GooseUser) -> TransactionResult {
    identify(user).await?;
    let email = format!("load-{}@example.org", uuid::Uuid::new_v4().simple());
    let password = "load test password".to_owned();
    let body = json!({"email": email, "password": password, "display_name": "Load"});
    call(user, GooseMethod::Post, "/api/v1/auth/register", "account: register", Some(&body), None).await?;
    session::log_in(user, "account: log in", &email, &password).await
}

async fn place_order(user: &mut GooseUser) -> TransactionResult {
    browse_products(user).await?;
    product_detail(user).await?;
    let Some(token) = session::access_token(user).await? else { return Ok(()) };
    let lines = rand::thread_rng().gen_range(1..=3);
    let mut ids = catalogue().product_ids.clone();
    ids.shuffle(&mut rand::thread_rng());
    let items: Vec<Value> = ids
        .iter()
        .take(lines)
        .map(|id| json!({"product_id": id, "quantity": rand::thread_rng().gen_range(1..=2)}))
        .collect();
    let body = json!({"items": items, "payment_method": "tok_visa"});
    call(user, GooseMethod::Post, "/api/v1/orders", "checkout: place order", Some(&body), Some(&token)).await?;
    think(user).await;
    Ok(())
}

async fn my_orders(user: &mut GooseUser) -> TransactionResult {
    let Some(token) = session::access_token(user).await? else { return Ok(()) };
    call(user, GooseMethod::Get, "/api/v1/orders?per_page=10", "account: my orders", None, Some(&token)).await?;
    call(user, GooseMethod::Get, "/api/v1/notifications", "account: my notifications", None, Some(&token)).await?;
    think(user).await;
    Ok(())
}

pub fn shopper() -> Result<Scenario, GooseError> {
    Ok(scenario!("shopper")
        .set_weight(3)?
        .register_transaction(transaction!(sign_up).set_name("sign up").set_on_start())
        .register_transaction(transaction!(leave).set_on_stop())
        .register_transaction(transaction!(place_order).set_name("place order").set_weight(2)?)
        .register_transaction(transaction!(my_orders).set_name("my orders")))
}

// ---- returning customer --------------------------------------------------

async fn dashboard(user: &mut GooseUser) -> TransactionResult {
    let Some(token) = session::access_token(user).await? else { return Ok(()) };
    call(user, GooseMethod::Get, "/api/v1/dashboard", "returning: dashboard", None, Some(&token)).await?;
    think(user).await;
    Ok(())
}

async fn order_history(user: &mut GooseUser) -> TransactionResult {
    let Some(token) = session::access_token(user).await? else { return Ok(()) };
    let page = json_of(
        call(user, GooseMethod::Get, "/api/v1/orders?per_page=5", "returning: order history", None, Some(&token))
            .await?,
    )
    .await;
    if let Some(id) = page["items"][0]["id"].as_str() {
        call(user, GooseMethod::Get, &format!("/api/v1/orders/{id}"), "returning: order detail", None, Some(&token))
            .await?;
    }
    think(user).await;
    Ok(())
}

pub fn returning_customer() -> Result<Scenario, GooseError> {
    Ok(scenario!("returning customer")
        .set_weight(2)?
        .register_transaction(transaction!(sign_up).set_name("sign up").set_on_start())
        .register_transaction(transaction!(leave).set_on_stop())
        .register_transaction(transaction!(place_order).set_name("first order").set_on_start())
        .register_transaction(transaction!(dashboard).set_name("dashboard").set_weight(2)?)
        .register_transaction(transaction!(order_history).set_name("order history").set_weight(2)?)
        .register_transaction(transaction!(place_order).set_name("order again")))
}

// ---- admin ---------------------------------------------------------------

async fn admin_log_in(user: &mut GooseUser) -> TransactionResult {
    identify(user).await?;
    let catalogue = catalogue();
    session::log_in(user, "admin: log in", &catalogue.admin_email, &catalogue.admin_password).await
}

async fn restock(user: &mut GooseUser) -> TransactionResult {
    let Some(token) = session::access_token(user).await? else { return Ok(()) };
    let body = json!({"quantity": rand::thread_rng().gen_range(50..=200)});
    call(
        user,
        GooseMethod::Post,
        &format!("/api/v1/inventory/{}/restock", product()),
        "admin: restock",
        Some(&body),
        Some(&token),
    )
    .await?;
    think(user).await;
    Ok(())
}

async fn update_price(user: &mut GooseUser) -> TransactionResult {
    let Some(token) = session::access_token(user).await? else { return Ok(()) };
    let body = json!({"price_cents": rand::thread_rng().gen_range(500..=9_900)});
    call(
        user,
        GooseMethod::Patch,
        &format!("/api/v1/products/{}", product()),
        "admin: update price",
        Some(&body),
        Some(&token),
    )
    .await?;
    think(user).await;
    Ok(())
}

pub fn admin() -> Result<Scenario, GooseError> {
    Ok(scenario!("admin")
        .set_weight(1)?
        .register_transaction(transaction!(admin_log_in).set_name("log in").set_on_start())
        .register_transaction(transaction!(leave).set_on_stop())
        .register_transaction(transaction!(restock).set_name("restock"))
        .register_transaction(transaction!(update_price).set_name("update price")))
}
