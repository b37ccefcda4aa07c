//! Page parameters that parse (1-based page, bounded page size) and the
//! envelope every list answers with.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;

/// Raw `?page=&per_page=` as the client sent them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based (default 1).
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub page: u32,
    pub per_page: u32,
}

impl Pagination {
    pub fn parse(query: &PageQuery) -> Result<Self, ApiError> {
        let page = query.page.unwrap_or(1);
        let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 {
            return Err(ApiError::bad_request("invalid_pagination", "page starts at 1"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ApiError::bad_request(
                "invalid_pagination",
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Ok(Self { page, per_page })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, pagination: Pagination, total: i64) -> Self {
        Self { items, page: pagination.page, per_page: pagination.per_page, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_first_page() {
        let p = Pagination::parse(&PageQuery::default()).unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (1, DEFAULT_PER_PAGE, 0));
    }

    #[test]
    fn refuses_page_zero_and_oversized_pages() {
        assert!(Pagination::parse(&PageQuery { page: Some(0), per_page: None }).is_err());
        assert!(Pagination::parse(&PageQuery { page: None, per_page: Some(101) }).is_err());
        assert!(Pagination::parse(&PageQuery { page: None, per_page: Some(0) }).is_err());
    }

    #[test]
    fn offset_follows_page() {
        let p = Pagination::parse(&PageQuery { page: Some(3), per_page: Some(10) }).unwrap();
        assert_eq!(p.offset(), 20);
    }
}
