//! An e-mail address that parses: trimmed, lower-cased, one `@`, a domain
//! with a dot, at most 254 characters. Shared by auth (credentials) and
//! users (profiles), which must agree on what the same address is.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        let invalid = || format!("{raw:?} is not an e-mail address");
        if email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok =
            domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(Email::parse("  Ada@Example.ORG ").unwrap().as_str(), "ada@example.org");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in ["", "ada", "ada@", "@example.org", "ada@example", "a b@example.org", "a@b@example.org", "ada@.org"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
