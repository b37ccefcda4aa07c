//! The shop's vocabulary for money and payments, used by every service that
//! handles either: amounts in integer minor units (cents) with an explicit
//! ISO 4217 currency, so that no float ever touches a price and no amount is
//! ever added to one in another currency; and the payment provider's tokens.

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

    /// Digits after the decimal point in this currency (ISO 4217's minor
    /// unit): 2 for most, 0 for the yen or the won, 3 for the dinars of
    /// Bahrain, Iraq, Jordan, Kuwait, Libya, Oman and Tunisia.
    pub fn minor_unit_digits(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
            | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
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

/// For people: `25.99 EUR`, `2599 JPY`, `1.500 KWD`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_unit_digits();
        if digits == 0 {
            return write!(f, "{} {}", self.amount_minor, self.currency);
        }
        let scale = 10_i64.pow(digits);
        let (units, minor) = (self.amount_minor / scale, self.amount_minor % scale);
        write!(f, "{units}.{minor:0width$} {}", self.currency, width = digits as usize)
    }
}

/// A payment provider's token for a means of payment (`tok_visa`): letters,
/// digits and `_`, at most 64 of them. Orders takes it from the customer and
/// payments hands it to the provider; both read it with this one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentToken(String);

impl PaymentToken {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 64 || !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err("payment_method must be a provider token such as tok_visa".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
    fn amounts_print_with_their_currencys_minor_unit() {
        let money = |minor, currency| Money::new(minor, Currency::parse(currency).unwrap()).unwrap().to_string();
        assert_eq!(money(2599, "EUR"), "25.99 EUR");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(money(2599, "JPY"), "2599 JPY");
        assert_eq!(money(1500, "KWD"), "1.500 KWD");
    }

    #[test]
    fn payment_tokens_are_letters_digits_and_underscores() {
        assert_eq!(PaymentToken::parse(" tok_visa ").unwrap().as_str(), "tok_visa");
        for bad in ["", "tok visa", "tok-visa", "tok_✓", &"t".repeat(65)] {
            assert!(PaymentToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_never_negative() {
        assert!(Money::new(-1, Currency::parse("EUR").unwrap()).is_err());
        assert!(Money::new(0, Currency::parse("EUR").unwrap()).is_ok());
    }
}
