//! Reservation requests that parse.

use serde::{Deserialize, Serialize};

/// Units of one product: 1 to 10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(i32);

impl Quantity {
    pub const MAX: i32 = 10_000;

    pub fn parse(raw: i64) -> Result<Self, String> {
        match i32::try_from(raw) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(format!("quantity must be between 1 and {}, got {raw}", Self::MAX)),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Quantity> for i64 {
    fn from(value: Quantity) -> Self {
        i64::from(value.0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReservationLine {
    pub product_id: i64,
    pub quantity: Quantity,
}

/// The lines of a reservation: at least one, each product once, sorted by
/// product id (so that concurrent reservations lock rows in the same order
/// and cannot deadlock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationLines(Vec<ReservationLine>);

impl ReservationLines {
    pub fn parse(mut lines: Vec<ReservationLine>) -> Result<Self, String> {
        if lines.is_empty() {
            return Err("a reservation needs at least one line".to_owned());
        }
        if lines.len() > 100 {
            return Err("a reservation has at most 100 lines".to_owned());
        }
        lines.sort_by_key(|l| l.product_id);
        if lines.windows(2).any(|pair| pair[0].product_id == pair[1].product_id) {
            return Err("each product may appear once".to_owned());
        }
        Ok(Self(lines))
    }

    pub fn iter(&self) -> impl Iterator<Item = &ReservationLine> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(product_id: i64, quantity: i64) -> ReservationLine {
        ReservationLine { product_id, quantity: Quantity::parse(quantity).unwrap() }
    }

    #[test]
    fn quantities_are_positive_and_bounded() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(-3).is_err());
        assert!(Quantity::parse(10_001).is_err());
        assert_eq!(Quantity::parse(5).unwrap().get(), 5);
    }

    #[test]
    fn lines_are_sorted_and_unique() {
        let lines = ReservationLines::parse(vec![line(9, 1), line(2, 1)]).unwrap();
        assert_eq!(lines.iter().map(|l| l.product_id).collect::<Vec<_>>(), [2, 9]);
        assert!(ReservationLines::parse(vec![line(2, 1), line(2, 3)]).is_err());
        assert!(ReservationLines::parse(vec![]).is_err());
    }
}
