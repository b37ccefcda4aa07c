//! What the pages accept from the browser, parsed once at the edge.
mod browse;
mod card;

pub use browse::{Browse, RawBrowse};
pub use card::TestCard;
