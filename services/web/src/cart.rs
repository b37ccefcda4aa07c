//! The cart: a few product lines kept in the browser's cookie, so that any
//! replica of the storefront serves the same cart without a store of its
//! own. Prices are never kept: the gateway prices the order at checkout.

use std::fmt;

/// Lines in a cart, and units per line: bounds that keep the cookie small.
pub const MAX_LINES: usize = 20;
pub const MAX_QUANTITY: u32 = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    lines: Vec<(i64, u32)>,
}

impl Cart {
    /// `12-1_15-2`: product 12 once, product 15 twice.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut cart = Cart::default();
        for line in raw.split('_').filter(|l| !l.is_empty()) {
            let (id, quantity) = line.split_once('-').ok_or_else(|| format!("{line:?} is not id-quantity"))?;
            let id = id.parse::<i64>().map_err(|_| format!("{id:?} is not a product id"))?;
            let quantity = quantity.parse::<u32>().map_err(|_| format!("{quantity:?} is not a quantity"))?;
            cart.add(id, quantity)?;
        }
        Ok(cart)
    }

    /// Adds units of a product (to its line when it has one).
    pub fn add(&mut self, product_id: i64, quantity: u32) -> Result<(), String> {
        if product_id <= 0 {
            return Err(format!("{product_id} is not a product id"));
        }
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(format!("a quantity is 1 to {MAX_QUANTITY}"));
        }
        let full = self.lines.len() >= MAX_LINES;
        match self.lines.iter_mut().find(|(id, _)| *id == product_id) {
            Some((_, units)) => *units = (*units + quantity).min(MAX_QUANTITY),
            None if full => return Err(format!("a cart holds at most {MAX_LINES} products")),
            None => self.lines.push((product_id, quantity)),
        }
        Ok(())
    }

    pub fn remove(&mut self, product_id: i64) {
        self.lines.retain(|(id, _)| *id != product_id);
    }

    pub fn lines(&self) -> &[(i64, u32)] {
        &self.lines
    }

    pub fn units(&self) -> u32 {
        self.lines.iter().map(|(_, units)| units).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// The cookie's value.
impl fmt::Display for Cart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (id, units)) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str("_")?;
            }
            write!(f, "{id}-{units}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cart_reads_back_what_it_wrote_and_adds_to_existing_lines() {
        let mut cart = Cart::parse("12-1_15-2").unwrap();
        cart.add(12, 2).unwrap();
        cart.add(7, 1).unwrap();
        assert_eq!(cart.to_string(), "12-3_15-2_7-1");
        assert_eq!(Cart::parse(&cart.to_string()).unwrap(), cart);
        assert_eq!(cart.units(), 6);
        cart.remove(15);
        assert_eq!(cart.to_string(), "12-3_7-1");
    }

    #[test]
    fn bad_lines_and_quantities_are_refused() {
        for raw in ["12", "x-1", "12-x", "12-0", "12-11", "-3-1", "0-1"] {
            assert!(Cart::parse(raw).is_err(), "{raw}");
        }
        let mut full = Cart::default();
        for id in 1..=MAX_LINES as i64 {
            full.add(id, 1).unwrap();
        }
        assert!(full.add(999, 1).is_err());
        assert!(full.add(1, 10).is_ok(), "an existing line takes more, up to the limit");
        assert_eq!(full.lines()[0], (1, MAX_QUANTITY));
    }
}
