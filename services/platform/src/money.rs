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

impl Money {
    /// The amount as a decimal string in the currency's unit, without the
    /// currency: `"25.99"`, `"2599"` (JPY), `"1.500"` (KWD).
    pub fn decimal_amount(&self) -> String {
        let digits = self.currency.minor_unit_digits();
        if digits == 0 {
            return self.amount_minor.to_string();
        }
        let scale = 10_i64.pow(digits);
        let (units, minor) = (self.amount_minor / scale, self.amount_minor % scale);
        format!("{units}.{minor:0width$}", width = digits as usize)
    }

    /// Reads a decimal amount in `currency`'s unit: digits, optionally a
    /// point and at most the currency's minor digits (`"12"`, `"12.5"`,
    /// `"12.50"` for EUR). No sign, exponent or grouping: an amount a
    /// client meant differently is refused, never rounded.
    pub fn parse_decimal(amount: &str, currency: Currency) -> Result<Self, String> {
        let digits = currency.minor_unit_digits() as usize;
        let refuse = || {
            let form = if digits == 0 { "whole units".to_owned() } else { format!("at most {digits} decimals") };
            format!("{amount:?} is not an amount in {currency} (digits, {form}, e.g. {:?})", example(digits))
        };
        let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty()
            || units.len() > 19
            || !all_digits(units)
            || !all_digits(fraction)
            || fraction.len() > digits
            || (amount.contains('.') && fraction.is_empty())
        {
            return Err(refuse());
        }
        let scale = 10_i64.pow(digits as u32);
        let padded = format!("{fraction:0<digits$}");
        let minor = if digits == 0 { 0 } else { padded.parse::<i64>().map_err(|_| refuse())? };
        let units = units.parse::<i64>().map_err(|_| refuse())?;
        // Every amount in minor units fits an i64, as the services store it.
        let amount_minor = units.checked_mul(scale).and_then(|a| a.checked_add(minor)).ok_or_else(refuse)?;
        Self::new(amount_minor, currency)
    }
}

fn example(digits: usize) -> String {
    if digits == 0 { "1250".to_owned() } else { format!("12.{}", "5".repeat(digits)) }
}

/// Money on the wire of API v2: `{"amount":"12.50","currency":"EUR"}`, a
/// decimal string in the currency's unit, so that clients neither divide by
/// a currency-dependent power of ten nor read a price through a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawDecimalMoney", into = "RawDecimalMoney")]
pub struct DecimalMoney(pub Money);

/// Documented as its wire shape, under the name clients see: `Money`.
impl utoipa::PartialSchema for DecimalMoney {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <RawDecimalMoney as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for DecimalMoney {
    fn name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }
}

/// `DecimalMoney` as sent, before its amount is checked against its currency.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDecimalMoney {
    /// Decimal, in the currency's unit, with its minor digits (`"12.50"`).
    #[schema(pattern = r"^[0-9]{1,19}(\.[0-9]{1,3})?$", example = "12.50")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
}

impl TryFrom<RawDecimalMoney> for DecimalMoney {
    type Error = String;
    fn try_from(raw: RawDecimalMoney) -> Result<Self, Self::Error> {
        let currency = Currency::parse(&raw.currency)?;
        Money::parse_decimal(&raw.amount, currency).map(Self)
    }
}

impl From<DecimalMoney> for RawDecimalMoney {
    fn from(value: DecimalMoney) -> Self {
        Self { amount: value.0.decimal_amount(), currency: value.0.currency.0 }
    }
}

impl DecimalMoney {
    /// From an amount in minor units, as the services store it. A negative
    /// stored amount is a bug upstream; it is shown as it is rather than lost.
    pub fn from_minor(amount_minor: i64, currency: &str) -> Self {
        let currency = Currency::parse(currency).unwrap_or_else(|_| Currency(currency.to_owned()));
        Self(Money { amount_minor, currency })
    }
}

/// For people: `25.99 EUR`, `2599 JPY`, `1.500 KWD`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal_amount(), self.currency)
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
    fn decimal_amounts_read_back_in_minor_units() {
        let read = |amount, currency| Money::parse_decimal(amount, Currency::parse(currency).unwrap());
        assert_eq!(read("12.50", "EUR").unwrap().amount_minor, 1250);
        assert_eq!(read("12.5", "EUR").unwrap().amount_minor, 1250);
        assert_eq!(read("12", "EUR").unwrap().amount_minor, 1200);
        assert_eq!(read("0.05", "USD").unwrap().amount_minor, 5);
        assert_eq!(read("2599", "JPY").unwrap().amount_minor, 2599);
        assert_eq!(read("1.500", "KWD").unwrap().amount_minor, 1500);
        for (bad, currency) in [
            ("12.505", "EUR"),
            ("-1", "EUR"),
            ("1e3", "EUR"),
            ("12.", "EUR"),
            (".5", "EUR"),
            ("", "EUR"),
            ("1.5", "JPY"),
        ] {
            assert!(read(bad, currency).is_err(), "{bad} {currency}");
        }
        assert_eq!(read("92233720368547758.07", "EUR").unwrap().amount_minor, i64::MAX);
        assert!(read("92233720368547758.08", "EUR").is_err(), "beyond i64 minor units");
        assert!(read("99999999999999999999", "JPY").is_err(), "beyond 19 digits");
    }

    #[test]
    fn decimal_money_round_trips_through_its_wire_shape() {
        let money: DecimalMoney = serde_json::from_str(r#"{"amount":"25.99","currency":"EUR"}"#).unwrap();
        assert_eq!(money.0.amount_minor, 2599);
        assert_eq!(serde_json::to_value(&money).unwrap(), serde_json::json!({"amount":"25.99","currency":"EUR"}));
        assert!(serde_json::from_str::<DecimalMoney>(r#"{"amount":25.99,"currency":"EUR"}"#).is_err());
        assert!(serde_json::from_str::<DecimalMoney>(r#"{"amount":"1","currency":"eur"}"#).is_err());
    }

    #[test]
    fn amounts_are_never_negative() {
        assert!(Money::new(-1, Currency::parse("EUR").unwrap()).is_err());
        assert!(Money::new(0, Currency::parse("EUR").unwrap()).is_ok());
    }
}
