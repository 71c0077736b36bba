//! Teams and their members' roles.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::account::parse_short_name;
use super::ids::{TeamId, UserId};
use crate::clock::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        parse_short_name(raw, "name", 60).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Two names that differ only in case or spacing are the same team.
    pub fn key(&self) -> String {
        self.0
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
}

impl fmt::Display for TeamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    Admin,
    Developer,
    Viewer,
}

impl TeamRole {
    pub const ALL: [TeamRole; 3] = [TeamRole::Admin, TeamRole::Developer, TeamRole::Viewer];

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| FieldError::new("role", "Choose admin, developer or viewer."))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Admin => "admin",
            TeamRole::Developer => "developer",
            TeamRole::Viewer => "viewer",
        }
    }

    /// Admins and developers change what the team consumes; viewers only look.
    pub fn can_act(self) -> bool {
        matches!(self, TeamRole::Admin | TeamRole::Developer)
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: TeamName,
    #[serde(default)]
    pub description: String,
    pub created_at: Timestamp,
    /// Set by the platform admin: the team may publish products.
    #[serde(default)]
    pub provider: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub role: TeamRole,
    pub since: Timestamp,
}

/// Why a membership change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    #[error("This person is already a member of the team.")]
    AlreadyMember,
    #[error("This person is not a member of the team.")]
    NotMember,
    #[error("A team keeps at least one admin: make another member admin first.")]
    LastAdmin,
}

/// The rule every membership change obeys: a team never loses its last admin.
/// `roles` are the current members' roles; `change` is (member's current role, new role or None for removal).
pub fn check_admin_kept(
    roles: &[TeamRole],
    current: TeamRole,
    next: Option<TeamRole>,
) -> Result<(), MembershipError> {
    let admins = roles.iter().filter(|r| **r == TeamRole::Admin).count();
    let loses_admin = current == TeamRole::Admin && next != Some(TeamRole::Admin);
    if loses_admin && admins <= 1 {
        return Err(MembershipError::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TeamRole::*;

    #[test]
    fn team_names_compare_without_case_or_spacing() {
        let a = TeamName::parse("Payments  Team").unwrap();
        let b = TeamName::parse("payments team").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Payments  Team");
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for r in TeamRole::ALL {
            assert_eq!(TeamRole::parse(r.as_str()), Ok(r));
        }
        assert!(TeamRole::parse("owner").is_err());
        assert!(Admin.can_act() && Developer.can_act() && !Viewer.can_act());
    }

    #[test]
    fn the_last_admin_cannot_leave_or_step_down() {
        assert_eq!(
            check_admin_kept(&[Admin, Viewer], Admin, None),
            Err(MembershipError::LastAdmin)
        );
        assert_eq!(
            check_admin_kept(&[Admin], Admin, Some(Developer)),
            Err(MembershipError::LastAdmin)
        );
        assert_eq!(check_admin_kept(&[Admin, Admin], Admin, None), Ok(()));
        assert_eq!(check_admin_kept(&[Admin, Viewer], Viewer, None), Ok(()));
        assert_eq!(check_admin_kept(&[Admin], Admin, Some(Admin)), Ok(()));
    }
}
