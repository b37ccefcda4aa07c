//! The gateway's public API as the pages use it: typed answers, and every
//! answer the storefront cannot use named as such.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use platform::client::{Call, CallError, ServiceClient};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::domain::Browse;

/// A product as the pages show it: only the fields they read, which is
/// what the storefront's pact with the gateway asks for
/// (`contracts/tests/consumer_web.rs`), not the catalog's whole type.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
}

/// One page of a listing.
#[derive(Debug, Deserialize)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Listing<T> {
    pub fn pages(&self) -> u32 {
        let per_page = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per_page - 1) / per_page).unwrap_or(u32::MAX)
    }
}

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

/// What log-in gives: the bearer token and how long it is good for.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: u64,
}

/// An order as its page shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: String,
    /// PENDING, CONFIRMED or CANCELLED.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub currency: String,
    pub total_minor: i64,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderLine {
    pub product_id: i64,
    pub name: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub order_id: String,
    pub kind: String,
    pub subject: String,
    pub created_at: String,
}

/// Why a page could not get what it shows.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The gateway gave no answer, or refused (its breaker, its limits).
    #[error(transparent)]
    Unavailable(CallError),
    /// The gateway said no, in the API's error shape (a weak password, a
    /// taken e-mail address, an expired token): the visitor is told why.
    #[error("{status} {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    /// An answer the storefront does not understand.
    #[error("the gateway answered {path} with {detail}")]
    Unexpected { path: String, detail: String },
}

impl ShopError {
    /// The token is no longer good (expired, or its key withdrawn).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ShopError::Refused { status: 401, .. })
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

#[derive(Clone)]
pub struct Shop {
    gateway: ServiceClient,
}

impl Shop {
    pub fn new(gateway: ServiceClient) -> Self {
        Self { gateway }
    }

    pub async fn products(&self, browse: &Browse) -> Result<Listing<Product>, ShopError> {
        let path = format!("/api/v1/products?{}", browse.api_query());
        self.read(Call::get(&path), None).await?.ok_or_else(|| missing(&path))
    }

    /// `None` when there is no such product.
    pub async fn product(&self, id: i64) -> Result<Option<Product>, ShopError> {
        self.read(Call::get(format!("/api/v1/products/{id}")), None).await
    }

    pub async fn recommendations(&self, id: i64) -> Result<Vec<Product>, ShopError> {
        let call = Call::get(format!("/api/v1/products/{id}/recommendations?limit=4"));
        Ok(self.read::<Items<Product>>(call, None).await?.map(|r| r.items).unwrap_or_default())
    }

    pub async fn categories(&self) -> Result<Vec<Category>, ShopError> {
        self.read(Call::get("/api/v1/categories"), None).await?.ok_or_else(|| missing("/api/v1/categories"))
    }

    pub async fn register(&self, email: &str, display_name: &str, password: &str) -> Result<(), ShopError> {
        let body = json!({ "email": email, "display_name": display_name, "password": password });
        let call = Call::new(Method::POST, "/api/v1/auth/register").json(&body);
        self.read::<serde_json::Value>(call, None).await?.ok_or_else(|| missing("/api/v1/auth/register"))?;
        Ok(())
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<Tokens, ShopError> {
        let call = Call::new(Method::POST, "/api/v1/auth/login").json(&json!({ "email": email, "password": password }));
        self.read(call, None).await?.ok_or_else(|| missing("/api/v1/auth/login"))
    }

    /// Checks out `lines`; `key` makes a repeated submission the same order.
    pub async fn place_order(
        &self,
        token: &str,
        lines: &[(i64, u32)],
        payment_method: &str,
        key: &str,
    ) -> Result<Order, ShopError> {
        let items: Vec<_> = lines.iter().map(|(id, units)| json!({ "product_id": id, "quantity": units })).collect();
        let mut headers = HeaderMap::new();
        if let Ok(key) = HeaderValue::from_str(key) {
            headers.insert("idempotency-key", key);
        }
        let call = Call::new(Method::POST, "/api/v1/orders")
            .json(&json!({ "items": items, "payment_method": payment_method }))
            .headers(headers);
        self.read(call, Some(token)).await?.ok_or_else(|| missing("/api/v1/orders"))
    }

    /// `None` when the order does not exist or is not the caller's.
    pub async fn order(&self, token: &str, id: &str) -> Result<Option<Order>, ShopError> {
        self.read(Call::get(format!("/api/v1/orders/{id}")), Some(token)).await
    }

    pub async fn notifications(&self, token: &str) -> Result<Vec<Notification>, ShopError> {
        let listing: Option<Listing<Notification>> = self.read(Call::get("/api/v1/notifications"), Some(token)).await?;
        Ok(listing.map(|l| l.items).unwrap_or_default())
    }

    /// Whether the token's holder is an admin, as the gateway and users
    /// decide it: their admin-only list answers 200 for admins, 403 for
    /// anyone else (401: the token is no longer good).
    pub async fn is_admin(&self, token: &str) -> Result<bool, ShopError> {
        match self.read::<serde_json::Value>(Call::get("/api/v1/users?per_page=1"), Some(token)).await {
            Ok(_) => Ok(true),
            Err(ShopError::Refused { status: 403, .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Sends `call` (as the visitor when `token` is given) and reads its
    /// answer: `Ok(None)` for 404, every other answer an explicit case.
    async fn read<T: DeserializeOwned>(&self, mut call: Call, token: Option<&str>) -> Result<Option<T>, ShopError> {
        if let Some(token) = token
            && let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}"))
        {
            call.headers.insert(header::AUTHORIZATION, value);
        }
        let path = call.path_and_query.clone();
        let unexpected = |detail: String| ShopError::Unexpected { path: path.clone(), detail };
        let response = self.gateway.send(call).await.map_err(ShopError::Unavailable)?;
        let status = response.status().as_u16();
        match status {
            200..=202 => {
                response.json().await.map(Some).map_err(|e| unexpected(format!("a body it could not read: {e}")))
            }
            404 => Ok(None),
            429 | 502..=504 => {
                Err(ShopError::Unavailable(CallError::UnexpectedStatus { dependency: self.gateway.name(), status }))
            }
            400 | 401 | 403 | 409 | 422 => match response.json::<ErrorBody>().await {
                Ok(body) => Err(ShopError::Refused { status, code: body.error.code, message: body.error.message }),
                Err(e) => Err(unexpected(format!("{status} without the API's error shape: {e}"))),
            },
            status => Err(unexpected(format!("status {status}"))),
        }
    }
}

fn missing(path: &str) -> ShopError {
    ShopError::Unexpected { path: path.to_owned(), detail: "404 for something that always exists".into() }
}
