//! Teams and their members: who belongs with which role. A team's admins
//! add, change and remove members; the platform admin creates teams and
//! says which may provide.

use serde::Deserialize;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::catalog::SetProvider;
use crate::actors::team::{AddMember, CreateTeam, RemoveMember, SetRole, TeamCommandError};
use crate::domain::FieldError;
use crate::domain::account::{Email, User};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{Membership, Team, TeamName, TeamRole};
use crate::store::Conflict;

/// The team's members with their accounts.
pub fn members(state: &AppState, caller: &Caller) -> Result<Vec<(Membership, User)>, OpError> {
    let mut out = Vec::new();
    for m in state.store.members(caller.team_id())? {
        if let Some(u) = state.store.user(m.user_id)? {
            out.push((m, u));
        }
    }
    Ok(out)
}

/// A team admin adds an existing account with a role.
pub async fn add_member(
    state: &AppState,
    caller: &Caller,
    email: &str,
    role: &str,
) -> Result<(User, TeamRole), OpError> {
    caller.must_be_admin()?;
    let mut errors = Vec::new();
    let role = TeamRole::parse(role).map_err(|e| errors.push(e)).ok();
    let user = match Email::parse(email) {
        Ok(email) => {
            let found = state.store.user_by_email(&email)?;
            if found.is_none() {
                errors.push(FieldError::new(
                    "email",
                    "No account has this email. The platform admin can invite this person first.",
                ));
            }
            found
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (Some(user), Some(role)) = (user, role) else {
        return Err(OpError::Invalid(errors));
    };
    let cmd = AddMember {
        user: user.id,
        role,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok((user, role))
}

fn member_account(state: &AppState, user: UserId) -> Result<User, OpError> {
    state.store.user(user)?.ok_or(OpError::NotFound)
}

/// A team admin changes a member's role (the team keeps an admin).
pub async fn set_role(
    state: &AppState,
    caller: &Caller,
    user: UserId,
    role: TeamRole,
) -> Result<User, OpError> {
    caller.must_be_admin()?;
    let account = member_account(state, user)?;
    let cmd = SetRole {
        user,
        role,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(account)
}

/// A team admin removes a member (the team keeps an admin).
pub async fn remove_member(
    state: &AppState,
    caller: &Caller,
    user: UserId,
) -> Result<User, OpError> {
    caller.must_be_admin()?;
    let account = member_account(state, user)?;
    let cmd = RemoveMember {
        user,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(account)
}

/// The platform admin, proven by the front end.
#[derive(Debug, Clone, Copy)]
pub struct PlatformAdmin {
    pub user: UserId,
}

/// A new team as typed: its name, description and first admin's email.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewTeam {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub admin_email: String,
}

/// The platform admin creates a team with its first admin.
pub async fn create_team(
    state: &AppState,
    admin: PlatformAdmin,
    new: &NewTeam,
) -> Result<Team, OpError> {
    let mut errors = Vec::new();
    let name = TeamName::parse(&new.name).map_err(|e| errors.push(e)).ok();
    let description = new.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.push(FieldError::new(
            "description",
            "Use at most 500 characters.",
        ));
    }
    let first = match Email::parse(&new.admin_email) {
        Ok(email) => {
            let found = state.store.user_by_email(&email)?;
            if found.is_none() {
                errors.push(FieldError::new(
                    "admin_email",
                    "No account has this email. Invite the person first, or name yourself.",
                ));
            }
            found
        }
        Err(e) => {
            errors.push(FieldError::new("admin_email", e.message));
            None
        }
    };
    let (Some(name), Some(first), true) = (name, first, errors.is_empty()) else {
        return Err(OpError::Invalid(errors));
    };
    let now = state.clock.now();
    let team = Team {
        id: TeamId::generate(now),
        name,
        description,
        created_at: now,
        provider: false,
    };
    let id = team.id;
    let cmd = CreateTeam {
        team,
        first_admin: first.id,
        actor: admin.user,
    };
    match state.teams.send(id, cmd).await? {
        Ok(()) => state.store.team(id)?.ok_or(OpError::NotFound),
        Err(TeamCommandError::Conflict(Conflict::TeamNameTaken)) => {
            Err(OpError::Invalid(vec![FieldError::new(
                "name",
                "A team with this name already exists.",
            )]))
        }
        Err(e) => Err(e.into()),
    }
}

/// The platform admin lets a team provide products, or takes that back.
pub async fn set_provider(
    state: &AppState,
    admin: PlatformAdmin,
    team: TeamId,
    provider: bool,
) -> Result<Team, OpError> {
    state.store.team(team)?.ok_or(OpError::NotFound)?;
    let cmd = SetProvider {
        provider,
        actor: admin.user,
    };
    state.teams.send(team, cmd).await??;
    state.store.team(team)?.ok_or(OpError::NotFound)
}

/// The most a team's history answers at once.
pub const HISTORY: usize = 1_000;

/// The team's activity, newest first.
pub fn history(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<crate::domain::audit::AuditRecord>, OpError> {
    Ok(state.store.team_audit(caller.team_id(), HISTORY)?)
}
