//! Catalog values that parse: once built, they are valid.
mod category;
mod listing;
mod product;

pub use category::{CategoryName, CategorySlug};
pub use listing::{
    CursorListingQuery, ListingQuery, ProductPosition, RawCursorListingQuery, RawListingQuery, SearchText, SortOrder,
};
pub use product::{Description, NewProduct, ProductName, ProductPatch, Sku};
