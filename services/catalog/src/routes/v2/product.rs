//! A product on the wire of v2, and the bodies that write one.

use chrono::{DateTime, Utc};
use platform::money::DecimalMoney;
use serde::{Deserialize, Serialize};

use crate::domain::{CategorySlug, Description, NewProduct, ProductName, ProductPatch, Sku};
use crate::store;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = v2::Product)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: DecimalMoney,
    pub category: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Product> for Product {
    fn from(p: store::Product) -> Self {
        Self {
            price: DecimalMoney::from_minor(p.price_cents, &p.currency),
            id: p.id,
            sku: p.sku,
            name: p.name,
            description: p.description,
            category: p.category,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = v2::Recommendations)]
pub struct Recommendations {
    pub items: Vec<Product>,
}

/// Body of `POST /api/v2/products`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = v2::NewProduct)]
pub struct NewProductV2 {
    #[schema(value_type = String, pattern = "^[A-Z0-9-]{1,64}$", example = "MUG-1")]
    pub sku: Sku,
    #[schema(value_type = String, min_length = 1, max_length = 200, example = "Enamel mug")]
    pub name: ProductName,
    #[serde(default)]
    #[schema(value_type = String, max_length = 5000)]
    pub description: Description,
    pub price: DecimalMoney,
    #[schema(value_type = String, pattern = "^[a-z0-9-]{1,64}$", example = "kitchen")]
    pub category: CategorySlug,
}

impl From<NewProductV2> for NewProduct {
    fn from(v2: NewProductV2) -> Self {
        let DecimalMoney(price) = v2.price;
        Self {
            sku: v2.sku,
            name: v2.name,
            description: v2.description,
            price_cents: price.amount_minor,
            currency: price.currency,
            category: v2.category,
        }
    }
}

/// Body of `PATCH /api/v2/products/{id}`: absent fields stay as they are; a
/// price changes amount and currency together.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = v2::ProductPatch)]
pub struct ProductPatchV2 {
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub name: Option<ProductName>,
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Description>,
    pub price: Option<DecimalMoney>,
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9-]{1,64}$")]
    pub category: Option<CategorySlug>,
}

impl From<ProductPatchV2> for ProductPatch {
    fn from(v2: ProductPatchV2) -> Self {
        let (price_cents, currency) = match v2.price {
            Some(DecimalMoney(price)) => (Some(price.amount_minor), Some(price.currency)),
            None => (None, None),
        };
        Self { name: v2.name, description: v2.description, price_cents, currency, category: v2.category }
    }
}
