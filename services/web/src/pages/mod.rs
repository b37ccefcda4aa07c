//! The HTML of every page, as typed maud templates: values are escaped by
//! default, and a missing field is a compile error, not a blank.
pub mod catalog;
pub mod error;
pub mod layout;

pub use layout::{Frame, page};
