//! Who asks for an operation: a person acting in one team, through a page
//! (signed in) or a token. The operations check what the caller may do;
//! the front ends only prove who it is.

use super::error::OpError;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{Team, TeamRole};

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserId,
    /// The team the caller acts in (the one in the path).
    pub team: Team,
    pub role: TeamRole,
    /// Whether the caller's means of asking allows changes: a signed-in
    /// person's does; a read-only token's does not.
    pub writes: bool,
}

impl Caller {
    pub fn team_id(&self) -> TeamId {
        self.team.id
    }

    /// Refuses a change by a viewer or through a read-only token.
    pub fn may_change(&self) -> Result<(), OpError> {
        if !self.writes {
            return Err(OpError::Forbidden(
                "This token can read but not change anything.".to_owned(),
            ));
        }
        if !self.role.can_act() {
            return Err(OpError::Forbidden(
                "Viewers can look but not change the team's subscriptions.".to_owned(),
            ));
        }
        Ok(())
    }

    /// Refuses what only the team's admins may do.
    /// Refuses anyone but the team's admins a look at what only they manage
    /// (a read-only token of an admin may look).
    pub fn must_read_as_admin(&self, what: &str) -> Result<(), OpError> {
        if self.role != TeamRole::Admin {
            return Err(OpError::Forbidden(format!(
                "Only the team's admins see and manage its {what}."
            )));
        }
        Ok(())
    }

    pub fn must_be_admin(&self) -> Result<(), OpError> {
        self.may_change()?;
        if self.role != TeamRole::Admin {
            return Err(OpError::Forbidden(
                "Only the team's admins can manage its members.".to_owned(),
            ));
        }
        Ok(())
    }

    /// Refuses a look at a provider team's catalog and decisions to anyone
    /// but its admins and developers (as the provider pages do); a team that
    /// is not a provider does not have what is asked for.
    pub fn sees_provider(&self) -> Result<(), OpError> {
        if !self.team.provider {
            return Err(OpError::NotFound);
        }
        if !self.role.can_act() {
            return Err(OpError::Forbidden(
                "Only the team's admins and developers manage its products.".to_owned(),
            ));
        }
        Ok(())
    }

    /// Refuses what only a provider team's admins and developers may do,
    /// through a means that allows changes.
    pub fn must_provide(&self) -> Result<(), OpError> {
        self.sees_provider()?;
        if !self.writes {
            return Err(OpError::Forbidden(
                "Only the team's admins and developers manage its products.".to_owned(),
            ));
        }
        Ok(())
    }
}
