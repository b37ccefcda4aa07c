//! The data a load run needs, made through the shop's public API as an
//! admin would: categories, products, plenty of stock. Idempotent: what
//! exists is found and kept, only what is missing is created, stock is
//! topped up to a level, never reset, so it can run against a fresh or a
//! busy stack, twice in a row.

use std::collections::HashMap;

use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::scenarios::Catalogue;

const CATEGORIES: [(&str, &str); 4] =
    [("kitchen", "Kitchen"), ("garden", "Garden"), ("lighting", "Lighting"), ("furniture", "Furniture")];
const PRODUCTS: [(&str, &str); 12] = [
    ("enamel mug", "kitchen"),
    ("copper kettle", "kitchen"),
    ("chef knife", "kitchen"),
    ("garden hose", "garden"),
    ("watering can", "garden"),
    ("pruning shears", "garden"),
    ("desk lamp", "lighting"),
    ("paper lantern", "lighting"),
    ("floor lamp", "lighting"),
    ("oak chair", "furniture"),
    ("side table", "furniture"),
    ("book shelf", "furniture"),
];
/// Stock is topped up to this many units of each product (the admin
/// scenario keeps restocking during a run).
const STOCK_LEVEL: i64 = 10_000;
/// The most one restock may add (inventory refuses more at once).
const RESTOCK_CHUNK: i64 = 10_000;

pub struct Admin {
    pub email: String,
    pub password: String,
}

/// Waits, up to `patience`, for another worker's [`seed`] to have made the
/// products; stock is that worker's to top up, so it is not touched here.
pub async fn await_seed(
    host: &str,
    admin: &Admin,
    profile: &str,
    patience: std::time::Duration,
) -> anyhow::Result<Catalogue> {
    let http = Client::builder().user_agent(crate::traffic::user_agent(profile)).build()?;
    let base = host.trim_end_matches('/');
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Ok(ids) = existing_products(&http, base).await
            && ids.len() >= PRODUCTS.len()
        {
            return Ok(catalogue(ids, admin, profile));
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("worker 0 had not made the load's products at {base} after {} s", patience.as_secs());
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

pub async fn seed(host: &str, admin: &Admin, profile: &str) -> anyhow::Result<Catalogue> {
    let http = Client::builder().user_agent(crate::traffic::user_agent(profile)).build()?;
    let base = host.trim_end_matches('/');
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": admin.email, "password": admin.password}))
        .send()
        .await
        .with_context(|| format!("the shop does not answer at {base}"))?;
    if !login.status().is_success() {
        bail!("admin log-in as {} refused: {}", admin.email, login.status());
    }
    let token = login.json::<Value>().await?["access_token"].as_str().unwrap_or_default().to_owned();
    let send = |method: reqwest::Method, path: String, body: Value| {
        http.request(method, format!("{base}{path}")).bearer_auth(&token).json(&body).send()
    };

    for (slug, name) in CATEGORIES {
        let created =
            send(reqwest::Method::POST, "/api/v1/categories".into(), json!({"slug": slug, "name": name})).await?;
        if !(created.status().is_success() || created.status() == StatusCode::CONFLICT) {
            bail!("creating category {slug}: {}", created.status());
        }
    }

    let mut ids = existing_products(&http, base).await?;
    for (i, (name, category)) in PRODUCTS.iter().enumerate() {
        let sku = format!("LOAD-{i:02}");
        if ids.contains_key(&sku) {
            continue;
        }
        let body = json!({"sku": sku, "name": format!("Load {name}"), "description": format!("A {name} for load tests"),
                          "price_cents": 500 + 250 * i as i64, "currency": "EUR", "category": category});
        let created = send(reqwest::Method::POST, "/api/v1/products".into(), body).await?;
        match created.status() {
            StatusCode::CREATED => {
                let product: Value = created.json().await?;
                ids.insert(sku, product["id"].as_i64().unwrap_or_default());
            }
            StatusCode::CONFLICT => {} // another set-up made it meanwhile: found below
            status => bail!("creating product {sku}: {status}"),
        }
    }
    let ids = if ids.len() < PRODUCTS.len() { existing_products(&http, base).await? } else { ids };

    for id in ids.values() {
        let stock: Value = http.get(format!("{base}/api/v1/inventory/{id}")).send().await?.json().await?;
        let mut missing = STOCK_LEVEL - stock["available"].as_i64().unwrap_or(0);
        while missing > 0 {
            let quantity = missing.min(RESTOCK_CHUNK);
            let restocked =
                send(reqwest::Method::POST, format!("/api/v1/inventory/{id}/restock"), json!({"quantity": quantity}))
                    .await?;
            if !restocked.status().is_success() {
                bail!("restocking product {id}: {}", restocked.status());
            }
            missing -= quantity;
        }
    }
    Ok(catalogue(ids, admin, profile))
}

fn catalogue(ids: HashMap<String, i64>, admin: &Admin, profile: &str) -> Catalogue {
    let mut product_ids: Vec<i64> = ids.into_values().collect();
    product_ids.sort_unstable();
    Catalogue {
        product_ids,
        categories: CATEGORIES.iter().map(|(slug, _)| (*slug).to_owned()).collect(),
        admin_email: admin.email.clone(),
        admin_password: admin.password.clone(),
        profile: profile.to_owned(),
    }
}

/// SKU → id of the load products already there (read past the gateway's cache).
async fn existing_products(http: &Client, base: &str) -> anyhow::Result<HashMap<String, i64>> {
    let mut found = HashMap::new();
    for (slug, _) in CATEGORIES {
        let fresh = uuid::Uuid::new_v4().simple();
        let page: Value = http
            .get(format!("{base}/api/v1/products?category={slug}&per_page=100&fresh={fresh}"))
            .send()
            .await?
            .json()
            .await?;
        for product in page["items"].as_array().into_iter().flatten() {
            if let (Some(sku), Some(id)) = (product["sku"].as_str(), product["id"].as_i64())
                && sku.starts_with("LOAD-")
            {
                found.insert(sku.to_owned(), id);
            }
        }
    }
    Ok(found)
}
