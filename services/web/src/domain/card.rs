//! The test cards the checkout offers: the payment provider's tokens.

/// A test card, as the checkout form sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCard {
    /// Approved (but for the provider's configured random declines).
    Visa,
    /// Always declined: the order is cancelled with the decline as reason.
    Declining,
}

impl TestCard {
    pub const ALL: [TestCard; 2] = [TestCard::Visa, TestCard::Declining];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|card| card.token() == raw).ok_or_else(|| format!("{raw:?} is not a test card"))
    }

    /// The payment provider's token for it.
    pub fn token(self) -> &'static str {
        match self {
            TestCard::Visa => "tok_visa",
            TestCard::Declining => "tok_decline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TestCard::Visa => "Test Visa (approved)",
            TestCard::Declining => "Test card that is declined",
        }
    }
}
