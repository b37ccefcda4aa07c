use serde::{Deserialize, Serialize};

/// URL-safe identifier of a category: `kitchen-tools`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategorySlug(String);

impl CategorySlug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("{raw:?} is not a category slug (1-64 of a-z, 0-9, '-')"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CategorySlug {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CategorySlug> for String {
    fn from(value: CategorySlug) -> Self {
        value.0
    }
}

/// Display name of a category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct CategoryName(String);

impl CategoryName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 100 {
            return Err("a category name has 1 to 100 characters".to_owned());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CategoryName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert!(CategorySlug::parse("kitchen-tools").is_ok());
        for bad in ["", "Kitchen", "kitchen tools", "-x", "x-", "a/b"] {
            assert!(CategorySlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
