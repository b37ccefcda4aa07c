//! Amounts of money: integer minor units (cents) and an explicit ISO 4217
//! currency, so that no float ever touches a price and no amount is ever
//! added to one in another currency.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Three upper-case letters, e.g. `EUR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("{raw:?} is not an ISO 4217 currency code (three upper-case letters)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A non-negative amount in minor units of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, String> {
        if amount_minor < 0 {
            return Err(format!("amount must not be negative, got {amount_minor}"));
        }
        Ok(Self { amount_minor, currency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_upper_case_letters() {
        assert!(Currency::parse("EUR").is_ok());
        for bad in ["eur", "EURO", "E1R", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_never_negative() {
        assert!(Money::new(-1, Currency::parse("EUR").unwrap()).is_err());
        assert!(Money::new(0, Currency::parse("EUR").unwrap()).is_ok());
    }
}
