//! The gateway's public API as the pages use it: typed answers, and every
//! answer the storefront cannot use named as such.

use platform::client::{Call, CallError, ServiceClient};
use serde::Deserialize;

use crate::domain::Browse;

/// The catalog's own types: what the gateway passes on unchanged.
pub use catalog::store::{Category, Product};

/// One page of a listing.
#[derive(Debug, Deserialize)]
pub struct Listing {
    pub items: Vec<Product>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl Listing {
    pub fn pages(&self) -> u32 {
        let per_page = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per_page - 1) / per_page).unwrap_or(u32::MAX)
    }
}

#[derive(Deserialize)]
struct Recommendations {
    items: Vec<Product>,
}

/// Why a page could not get what it shows.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The gateway gave no answer, or refused (its breaker, its limits).
    #[error(transparent)]
    Unavailable(CallError),
    /// An answer the storefront does not understand.
    #[error("the gateway answered {path} with {detail}")]
    Unexpected { path: String, detail: String },
}

#[derive(Clone)]
pub struct Shop {
    gateway: ServiceClient,
}

impl Shop {
    pub fn new(gateway: ServiceClient) -> Self {
        Self { gateway }
    }

    pub fn gateway(&self) -> &ServiceClient {
        &self.gateway
    }

    pub async fn products(&self, browse: &Browse) -> Result<Listing, ShopError> {
        self.get(&format!("/api/v1/products?{}", browse.api_query())).await?.ok_or_else(|| missing("products"))
    }

    /// `None` when there is no such product.
    pub async fn product(&self, id: i64) -> Result<Option<Product>, ShopError> {
        self.get(&format!("/api/v1/products/{id}")).await
    }

    pub async fn recommendations(&self, id: i64) -> Result<Vec<Product>, ShopError> {
        let path = format!("/api/v1/products/{id}/recommendations?limit=4");
        Ok(self.get::<Recommendations>(&path).await?.map(|r| r.items).unwrap_or_default())
    }

    pub async fn categories(&self) -> Result<Vec<Category>, ShopError> {
        self.get("/api/v1/categories").await?.ok_or_else(|| missing("categories"))
    }

    /// A GET whose 404 means "no such thing": `Ok(None)`.
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>, ShopError> {
        let response = self.gateway.send(Call::get(path)).await.map_err(ShopError::Unavailable)?;
        let unexpected = |detail: String| ShopError::Unexpected { path: path.to_owned(), detail };
        match response.status().as_u16() {
            200 => response.json().await.map(Some).map_err(|e| unexpected(format!("a body it could not read: {e}"))),
            404 => Ok(None),
            429 | 502..=504 => Err(ShopError::Unavailable(CallError::UnexpectedStatus {
                dependency: self.gateway.name(),
                status: response.status().as_u16(),
            })),
            status => Err(unexpected(format!("status {status}"))),
        }
    }
}

fn missing(what: &str) -> ShopError {
    ShopError::Unexpected { path: what.to_owned(), detail: "404: the listing itself is missing".into() }
}
