//! What the pages accept from the browser, parsed once at the edge.
mod browse;

pub use browse::{Browse, RawBrowse};
