//! API tokens: how scripts and CI reach `/api/v1`. A token is
//! `agt_<token id>_<secret><checksum>` (the API key shape under its own
//! prefix, 192-bit secret); Agora keeps only its keyed hash. A personal
//! token acts as its person (in every team of theirs, or in one), a team's
//! service token as a developer or viewer of that team. Each reads only,
//! or reads and writes, and may expire.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::account::parse_short_name;
use super::ids::{TeamId, UserId};
use super::key_format::KeyId;
use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenScope {
    Read,
    ReadWrite,
}

impl TokenScope {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "read" => Ok(TokenScope::Read),
            "read-write" => Ok(TokenScope::ReadWrite),
            _ => Err(FieldError::new("scope", "Choose read, or read and write.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadWrite => "read-write",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenScope::Read => "Read only",
            TokenScope::ReadWrite => "Read and write",
        }
    }

    pub fn writes(self) -> bool {
        self == TokenScope::ReadWrite
    }
}

/// Whose a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TokenOwner {
    /// A person's: acts as them, in `team` only when given.
    Person { user: UserId, team: Option<TeamId> },
    /// A team's service token, made by one of its admins.
    Team { team: TeamId, made_by: UserId },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: KeyId,
    pub name: String,
    pub owner: TokenOwner,
    pub scope: TokenScope,
    /// The keyed hash (hex) of the secret.
    pub hash: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub last_used: Option<Timestamp>,
}

impl ApiToken {
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether the token may act in `team` at all (its person's membership
    /// is checked apart).
    pub fn reaches(&self, team: TeamId) -> bool {
        match self.owner {
            TokenOwner::Person { team: only, .. } => only.is_none_or(|t| t == team),
            TokenOwner::Team { team: own, .. } => own == team,
        }
    }
}

/// The longest a token may live.
pub const MAX_DAYS: u64 = 3_650;

/// A token's name, scope and lifetime, as typed.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub name: String,
    pub scope: TokenScope,
    pub lifetime: Option<Duration>,
}

impl TokenSpec {
    /// `days`: empty for no expiry, else 1 to [`MAX_DAYS`].
    pub fn parse(name: &str, scope: &str, days: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = parse_short_name(name, "name", 80).map_err(|e| errors.push(e));
        let scope = TokenScope::parse(scope).map_err(|e| errors.push(e));
        let lifetime = match days.trim() {
            "" | "never" => Ok(None),
            raw => match raw.parse::<u64>() {
                Ok(d) if (1..=MAX_DAYS).contains(&d) => Ok(Some(Duration::from_secs(d * 86_400))),
                _ => Err(FieldError::new(
                    "expires_in_days",
                    format!("Give a number of days from 1 to {MAX_DAYS}, or leave it empty."),
                )),
            },
        }
        .map_err(|e| errors.push(e));
        match (name, scope, lifetime) {
            (Ok(name), Ok(scope), Ok(lifetime)) => Ok(Self {
                name,
                scope,
                lifetime,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_reads_its_name_scope_and_days() {
        let s = TokenSpec::parse("CI", "read-write", "90").unwrap();
        assert_eq!(
            (s.name.as_str(), s.scope, s.lifetime),
            (
                "CI",
                TokenScope::ReadWrite,
                Some(Duration::from_secs(90 * 86_400))
            )
        );
        assert_eq!(TokenSpec::parse("CI", "read", "").unwrap().lifetime, None);
        let errors = TokenSpec::parse("", "admin", "0").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "scope", "expires_in_days"]);
    }

    #[test]
    fn a_personal_token_for_one_team_reaches_only_that_team() {
        let t0 = Timestamp::from_millis(0);
        let (a, b) = (TeamId::generate(t0), TeamId::generate(t0));
        let mut t = ApiToken {
            id: KeyId::generate(),
            name: "x".into(),
            owner: TokenOwner::Person {
                user: UserId::generate(t0),
                team: Some(a),
            },
            scope: TokenScope::Read,
            hash: String::new(),
            created_at: t0,
            expires_at: Some(Timestamp::from_millis(10)),
            last_used: None,
        };
        assert!(t.reaches(a) && !t.reaches(b));
        assert!(!t.expired(Timestamp::from_millis(9)) && t.expired(Timestamp::from_millis(10)));
        t.owner = TokenOwner::Person {
            user: UserId::generate(t0),
            team: None,
        };
        assert!(t.reaches(b));
    }
}
