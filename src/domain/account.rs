//! People: email addresses, display names, passwords, and the user record.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::ids::UserId;
use crate::clock::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Trimmed and lower-cased, so one address is one account whatever its case.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let err = |m: &str| Err(FieldError::new("email", m));
        if email.is_empty() {
            return err("Enter an email address.");
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("Enter an email address without spaces, at most 254 characters.");
        }
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@') =>
            {
                Ok(Self(email))
            }
            _ => err("Enter an email address like name@example.com."),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A short human name, for people and teams.
pub(crate) fn parse_name(raw: &str, field: &'static str, max: usize) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, "Enter a name."));
    }
    if name.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "Use letters, digits, spaces and punctuation only.",
        ));
    }
    Ok(name.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        parse_name(raw, "display_name", 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) use self::parse_name as parse_short_name;

/// A password as typed. Its `Debug` is redacted; the clear text is reachable
/// only through [`Password::expose`], used by the hashing code.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 1_024;

    /// A new password, typed twice.
    pub fn parse_new(first: String, again: &str) -> Result<Self, FieldError> {
        if first.chars().count() < Self::MIN_CHARS {
            return Err(FieldError::new(
                "password",
                format!("Use at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if first.len() > Self::MAX_BYTES {
            return Err(FieldError::new("password", "Use at most 1024 characters."));
        }
        if first != again {
            return Err(FieldError::new(
                "password_again",
                "The two passwords differ.",
            ));
        }
        Ok(Self(first))
    }

    /// A password offered at sign-in or confirmation: any text, bounded in size
    /// so nobody can make the server hash megabytes.
    pub fn offered(raw: String) -> Self {
        let mut raw = raw;
        raw.truncate(Self::MAX_BYTES);
        Self(raw)
    }

    pub(crate) fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored argon2id hash in PHC format.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(pub(crate) String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: DisplayName,
    /// `None` while an invitation is open: the account cannot sign in yet.
    pub password_hash: Option<PasswordHash>,
    pub platform_admin: bool,
    pub created_at: Timestamp,
    #[serde(default)]
    pub password_changed_at: Option<Timestamp>,
    /// The notification topics that also come by email (none until chosen).
    #[serde(default)]
    pub email_topics: Vec<crate::domain::notification::Topic>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.password_hash.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_need_length_and_agreement() {
        assert_eq!(
            Password::parse_new("short".into(), "short")
                .unwrap_err()
                .field,
            "password"
        );
        assert_eq!(
            Password::parse_new("long enough 1".into(), "long enough 2")
                .unwrap_err()
                .field,
            "password_again"
        );
        let p = Password::parse_new("long enough 1".into(), "long enough 1").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(81)).is_err());
        assert!(DisplayName::parse("a\u{0007}b").is_err());
    }
}
