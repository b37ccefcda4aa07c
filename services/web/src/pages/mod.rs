//! The HTML of every page, as typed maud templates: values are escaped by
//! default, and a missing field is a compile error, not a blank.
pub mod account;
pub mod cart;
pub mod catalog;
pub mod control;
pub mod error;
pub mod experiments;
pub mod layout;
pub mod orders;

pub use layout::{Frame, csrf_field, notice, page};

use platform::money::{Currency, Money};

/// "12.50 EUR"; an amount in a currency the shop does not know is shown in
/// its minor units rather than guessed at.
pub fn money(minor: i64, currency: &str) -> String {
    match Currency::parse(currency).and_then(|c| Money::new(minor, c)) {
        Ok(money) => format!("{} {}", money.decimal_amount(), currency),
        Err(_) => format!("{minor} (minor units) {currency}"),
    }
}
