//! What a registration or login must carry, parsed.

use platform::email::Email;
use secrecy::SecretString;
use serde::Deserialize;

/// Passwords people actually choose first; refused outright.
const COMMON_PASSWORDS: [&str; 8] =
    ["password12", "password123", "1234567890", "12345678910", "qwertyuiop", "iloveyou12", "letmein123", "abc1234567"];

/// A password acceptable for a new account: 10 to 128 characters, not one of
/// the most common ones, not the e-mail address. (Length over composition
/// rules, as NIST SP 800-63B recommends.)
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(raw: &str, email: &Email) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < 10 {
            return Err("the password needs at least 10 characters".to_owned());
        }
        if length > 128 {
            return Err("the password has at most 128 characters".to_owned());
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) || lower == email.as_str() {
            return Err("this password is too easy to guess".to_owned());
        }
        let first = raw.chars().next();
        if raw.chars().all(|c| Some(c) == first) {
            return Err("this password is too easy to guess".to_owned());
        }
        Ok(Self(SecretString::from(raw.to_owned())))
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

/// Body of `POST /api/v1/auth/register`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Registration {
    #[schema(value_type = String, format = Email, example = "ada@example.com")]
    pub email: Email,
    /// At least 12 characters, not the e-mail address, not one repeated character.
    #[schema(value_type = String, format = Password, min_length = 12, example = "correct horse battery")]
    pub password: SecretString,
    #[schema(min_length = 1, max_length = 100, example = "Ada")]
    pub display_name: String,
}

/// Body of `POST /api/v1/auth/login`. The address is not parsed as an
/// `Email` here: a malformed one simply matches no account (401).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Login {
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("ada@example.org").unwrap()
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in ["short", "password123", "aaaaaaaaaaaa", "ada@example.org", &"x".repeat(129)] {
            assert!(NewPassword::parse(weak, &email()).is_err(), "{weak}");
        }
        assert!(NewPassword::parse("correct horse battery", &email()).is_ok());
    }
}
