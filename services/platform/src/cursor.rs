//! Cursor pagination, as API v2 lists answer: a page ends with an opaque
//! cursor that points just after its last item, and the next page starts
//! exactly there. Unlike `?page=` offsets, items added or removed while a
//! client walks the list never make it skip an item or see one twice, and a
//! deep page costs the database an index seek, not a scan of every row
//! before it.
//!
//! A cursor is the position (the sort key and the id of the last item)
//! serialised as JSON and base64url-encoded. It is opaque by contract, not
//! by secrecy: a client that edits one gets a 400, never another page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Raw `?limit=&cursor=` as the client sent them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page; absent for the first page.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
}

/// A validated page request: how many items, after which position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorRequest<P> {
    pub limit: u32,
    pub after: Option<P>,
}

impl<P> CursorRequest<P> {
    /// Rows to ask the database for: one more than a page, to learn whether
    /// another page follows without counting.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

impl CursorQuery {
    pub fn parse<P: DeserializeOwned>(&self) -> Result<CursorRequest<P>, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(
                "invalid_pagination",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = self.cursor.as_deref().map(decode).transpose()?;
        Ok(CursorRequest { limit, after })
    }
}

/// The cursor that points at `position`.
pub fn encode<P: Serialize>(position: &P) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).expect("a position serialises"))
}

/// The position a cursor points at, or 400 `invalid_cursor`.
pub fn decode<P: DeserializeOwned>(cursor: &str) -> Result<P, ApiError> {
    let invalid = || ApiError::bad_request("invalid_cursor", "cursor is not one this API gave out");
    if cursor.len() > 512 {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// One page of a list, and the cursor of the next (`null` on the last page).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null`: this is the last page.
    pub next_cursor: Option<String>,
}

impl<T> CursorPage<T> {
    /// From the rows of a `fetch_limit()` query: the extra row, when there,
    /// is dropped and proves that a next page exists.
    pub fn from_rows<P: Serialize>(mut rows: Vec<T>, limit: u32, position_of: impl Fn(&T) -> P) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|last| encode(&position_of(last))) } else { None };
        Self { items: rows, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> CursorPage<U> {
        CursorPage { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_points_after_the_last_item_of_a_full_page() {
        let page = CursorPage::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, [1, 2]);
        let after: i32 = decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(after, 2);
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        assert!(CursorPage::from_rows(vec![1, 2], 2, |n| *n).next_cursor.is_none());
        assert!(CursorPage::<i32>::from_rows(vec![], 2, |n| *n).next_cursor.is_none());
    }

    #[test]
    fn edited_cursors_and_bad_limits_are_bad_requests() {
        for cursor in ["not base64!", "bm90IGpzb24", &"A".repeat(600)] {
            let query = CursorQuery { limit: None, cursor: Some(cursor.to_owned()) };
            assert!(query.parse::<(i64, i64)>().is_err(), "{cursor}");
        }
        for limit in [0, 101] {
            assert!(CursorQuery { limit: Some(limit), cursor: None }.parse::<i64>().is_err());
        }
        let default = CursorQuery::default().parse::<i64>().unwrap();
        assert_eq!((default.limit, default.after), (DEFAULT_LIMIT, None));
    }
}
