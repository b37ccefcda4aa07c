//! What the pages accept from the browser, parsed once at the edge.
mod browse;
mod card;
mod fault;

pub use browse::{Browse, RawBrowse};
pub use card::TestCard;
pub use fault::OneClickFault;
