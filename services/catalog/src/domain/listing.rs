use chrono::{DateTime, Utc};
use platform::ApiError;
use platform::cursor::{CursorQuery, CursorRequest};
use platform::pagination::{PageQuery, Pagination};
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawListingQuery {
    /// 1-based (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// A category's slug.
    pub category: Option<String>,
    /// Words to find in names and descriptions (1 to 100 characters).
    pub q: Option<String>,
    /// `newest` (default), `price_asc`, `price_desc` or `name`.
    #[param(pattern = "^(newest|price_asc|price_desc|name)$")]
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

/// `GET /api/v2/products` query string, as sent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawCursorListingQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, with the same `sort`.
    pub cursor: Option<String>,
    /// A category's slug.
    pub category: Option<String>,
    /// Words to find in names and descriptions (1 to 100 characters).
    pub q: Option<String>,
    /// `newest` (default), `price_asc`, `price_desc` or `name`.
    #[param(pattern = "^(newest|price_asc|price_desc|name)$")]
    pub sort: Option<String>,
}

/// Where a v2 page of products starts: the sort key and id of the last
/// product of the page before (the id breaks ties, so every position is
/// unique). The sort is part of the position: a cursor is only valid with
/// the order it was made in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sort", content = "after", rename_all = "snake_case")]
pub enum ProductPosition {
    Newest(DateTime<Utc>, i64),
    PriceAsc(i64, i64),
    PriceDesc(i64, i64),
    Name(String, i64),
}

impl ProductPosition {
    pub fn sort(&self) -> SortOrder {
        match self {
            Self::Newest(..) => SortOrder::Newest,
            Self::PriceAsc(..) => SortOrder::PriceAsc,
            Self::PriceDesc(..) => SortOrder::PriceDesc,
            Self::Name(..) => SortOrder::Name,
        }
    }
}

/// A parsed v2 listing request.
#[derive(Debug, Clone)]
pub struct CursorListingQuery {
    pub page: CursorRequest<ProductPosition>,
    pub category: Option<CategorySlug>,
    pub search: Option<SearchText>,
    pub sort: SortOrder,
}

impl CursorListingQuery {
    pub fn parse(raw: RawCursorListingQuery) -> Result<Self, ApiError> {
        let invalid = |message: String| ApiError::bad_request("invalid_query", message);
        let page = CursorQuery { limit: raw.limit, cursor: raw.cursor }.parse::<ProductPosition>()?;
        let category = raw.category.as_deref().map(CategorySlug::parse).transpose().map_err(invalid)?;
        let search = raw.q.as_deref().map(SearchText::parse).transpose().map_err(invalid)?;
        let sort = raw.sort.as_deref().map(SortOrder::parse).transpose().map_err(invalid)?.unwrap_or_default();
        if let Some(after) = &page.after
            && after.sort() != sort
        {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                format!("this cursor continues sort={}, not sort={}", after.sort().as_str(), sort.as_str()),
            ));
        }
        Ok(Self { page, category, search, sort })
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
    fn a_cursor_only_continues_the_order_it_was_made_in() {
        let cursor = platform::cursor::encode(&ProductPosition::PriceAsc(1200, 7));
        let raw = |sort: &str| RawCursorListingQuery {
            cursor: Some(cursor.clone()),
            sort: Some(sort.to_owned()),
            ..Default::default()
        };
        let parsed = CursorListingQuery::parse(raw("price_asc")).unwrap();
        assert_eq!(parsed.page.after, Some(ProductPosition::PriceAsc(1200, 7)));
        assert!(CursorListingQuery::parse(raw("name")).is_err());
    }

    #[test]
    fn an_empty_query_lists_newest_first() {
        let query = ListingQuery::parse(RawListingQuery::default()).unwrap();
        assert_eq!(query.sort, SortOrder::Newest);
        assert!(query.category.is_none() && query.search.is_none());
    }
}
