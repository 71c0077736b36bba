//! Applications: a team's containers of access and credentials.

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::account::parse_short_name;
use super::ids::{ApplicationId, TeamId};
use super::product::parse_text;
use crate::clock::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationDetails {
    pub name: String,
    pub description: String,
}

impl ApplicationDetails {
    pub fn parse(name: &str, description: &str) -> Result<Self, Vec<FieldError>> {
        let name = parse_short_name(name, "name", 80);
        let description = parse_text(description, "description", 1_000);
        match (name, description) {
            (Ok(name), Ok(description)) => Ok(Self { name, description }),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }

    /// Two names that differ only in case or spacing are the same application.
    pub fn name_key(&self) -> String {
        self.name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    pub id: ApplicationId,
    pub team: TeamId,
    pub details: ApplicationDetails,
    pub created_at: Timestamp,
    /// Set when archived: its access is revoked and it can then be deleted.
    #[serde(default)]
    pub archived_at: Option<Timestamp>,
}

impl Application {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("The team already has an application with this name.")]
    NameTaken,
    #[error("This application is archived.")]
    Archived,
    #[error("Archive the application before deleting it.")]
    NotArchived,
    #[error("Its access is still being removed from the data plane: delete it once that is done.")]
    StillDeprovisioning,
    #[error("Not found.")]
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_required_and_compared_loosely() {
        let a = ApplicationDetails::parse(" Mobile  App ", "").unwrap();
        assert_eq!(a.name_key(), "mobile app");
        let errors = ApplicationDetails::parse("", &"x".repeat(1_001)).unwrap_err();
        assert_eq!(errors.len(), 2);
    }
}
