use platform::money::Currency;
use serde::Deserialize;

use super::CategorySlug;

/// A product's display name: 1 to 200 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        match trimmed.chars().count() {
            0 => Err("a product name must not be empty".to_owned()),
            n if n > 200 => Err("a product name has at most 200 characters".to_owned()),
            _ => Ok(Self(trimmed.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProductName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// Stock keeping unit: upper-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(Self(raw.to_owned())) } else { Err(format!("{raw:?} is not a SKU (A-Z, 0-9, '-')")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sku {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// Free text, at most 5000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > 5000 {
            return Err("a description has at most 5000 characters".to_owned());
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Description {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// A price in minor units; never negative.
fn non_negative<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = i64::deserialize(d)?;
    if value < 0 {
        return Err(serde::de::Error::custom("price_cents must not be negative"));
    }
    Ok(value)
}

fn some_non_negative<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    non_negative(d).map(Some)
}

/// Body of `POST /api/v1/products`: every field parsed on the way in, so a
/// handler that holds a `NewProduct` holds a valid one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    #[schema(value_type = String, pattern = "^[A-Z0-9-]{1,64}$", example = "MUG-1")]
    pub sku: Sku,
    #[schema(value_type = String, min_length = 1, max_length = 200, example = "Enamel mug")]
    pub name: ProductName,
    #[serde(default)]
    #[schema(value_type = String, max_length = 5000)]
    pub description: Description,
    /// In minor units of `currency` (cents).
    #[serde(deserialize_with = "non_negative")]
    #[schema(minimum = 0, example = 1299)]
    pub price_cents: i64,
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Currency,
    #[schema(value_type = String, pattern = "^[a-z0-9-]{1,64}$", example = "kitchen")]
    pub category: CategorySlug,
}

/// Body of `PATCH /api/v1/products/{id}`: absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub name: Option<ProductName>,
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Description>,
    #[serde(default, deserialize_with = "some_non_negative")]
    #[schema(minimum = 0)]
    pub price_cents: Option<i64>,
    #[schema(value_type = Option<String>, pattern = "^[A-Z]{3}$")]
    pub currency: Option<Currency>,
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9-]{1,64}$")]
    pub category: Option<CategorySlug>,
}

impl ProductPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.price_cents.is_none()
            && self.currency.is_none()
            && self.category.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProductName::parse("  Mug ").unwrap().as_str(), "Mug");
        assert!(ProductName::parse("   ").is_err());
        assert!(ProductName::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn a_new_product_with_a_negative_price_does_not_parse() {
        let body = r#"{"sku":"MUG-1","name":"Mug","price_cents":-5,"currency":"EUR","category":"kitchen"}"#;
        assert!(serde_json::from_str::<NewProduct>(body).is_err());
    }

    #[test]
    fn a_valid_new_product_parses() {
        let body = r#"{"sku":"MUG-1","name":"Mug","price_cents":1299,"currency":"EUR","category":"kitchen"}"#;
        let product: NewProduct = serde_json::from_str(body).unwrap();
        assert_eq!(product.price_cents, 1299);
        assert_eq!(product.description.as_str(), "");
    }
}
