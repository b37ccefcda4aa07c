use platform::ApiError;
use platform::pagination::{PageQuery, Pagination};
use serde::Deserialize;

use super::CategorySlug;

/// How a product list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    Name,
}

impl SortOrder {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "newest" => Ok(Self::Newest),
            "price_asc" => Ok(Self::PriceAsc),
            "price_desc" => Ok(Self::PriceDesc),
            "name" => Ok(Self::Name),
            other => Err(format!("unknown sort {other:?}: use newest, price_asc, price_desc or name")),
        }
    }

    /// The key the list query orders by (see `store::list_products`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
            Self::Name => "name",
        }
    }
}

/// A search phrase: trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 100 {
            return Err("q must have 1 to 100 characters".to_owned());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `GET /api/v1/products` query string, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct RawListingQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub category: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
}

/// A parsed listing request.
#[derive(Debug, Clone)]
pub struct ListingQuery {
    pub pagination: Pagination,
    pub category: Option<CategorySlug>,
    pub search: Option<SearchText>,
    pub sort: SortOrder,
}

impl ListingQuery {
    pub fn parse(raw: RawListingQuery) -> Result<Self, ApiError> {
        let invalid = |message: String| ApiError::bad_request("invalid_query", message);
        let pagination = Pagination::parse(&PageQuery { page: raw.page, per_page: raw.per_page })?;
        let category = raw.category.as_deref().map(CategorySlug::parse).transpose().map_err(invalid)?;
        let search = raw.q.as_deref().map(SearchText::parse).transpose().map_err(invalid)?;
        let sort = raw.sort.as_deref().map(SortOrder::parse).transpose().map_err(invalid)?.unwrap_or_default();
        Ok(Self { pagination, category, search, sort })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_sort_orders_are_refused() {
        let raw = RawListingQuery { sort: Some("random".into()), ..Default::default() };
        assert!(ListingQuery::parse(raw).is_err());
    }

    #[test]
    fn an_empty_query_lists_newest_first() {
        let query = ListingQuery::parse(RawListingQuery::default()).unwrap();
        assert_eq!(query.sort, SortOrder::Newest);
        assert!(query.category.is_none() && query.search.is_none());
    }
}
