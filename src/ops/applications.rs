//! Applications: a team's containers of access and credentials. Create,
//! edit, archive (access revoked everywhere) and delete (once archived).

use serde::Deserialize;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::applications::{ArchiveApplication, DeleteApplication, SaveApplication};
use crate::domain::application::{Application, ApplicationDetails};
use crate::domain::ids::{ApplicationId, TeamId};

/// The team's application, or not found (also for another team's).
pub fn team_app(state: &AppState, team: TeamId, id: ApplicationId) -> Result<Application, OpError> {
    match state.store.application(id)? {
        Some(a) if a.team == team => Ok(a),
        _ => Err(OpError::NotFound),
    }
}

/// The team's applications, oldest first.
pub fn list(state: &AppState, caller: &Caller) -> Result<Vec<Application>, OpError> {
    Ok(state.store.applications_of(caller.team_id())?)
}

/// An application's name and description, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Creates an application (`existing: None`) or saves the team's `existing` one.
pub async fn save(
    state: &AppState,
    caller: &Caller,
    existing: Option<ApplicationId>,
    input: &AppInput,
) -> Result<Application, OpError> {
    caller.may_change()?;
    if let Some(id) = existing {
        team_app(state, caller.team_id(), id)?;
    }
    let details =
        ApplicationDetails::parse(&input.name, &input.description).map_err(OpError::Invalid)?;
    let id = existing.unwrap_or_else(|| ApplicationId::generate(state.clock.now()));
    let cmd = SaveApplication {
        id,
        is_new: existing.is_none(),
        details,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    team_app(state, caller.team_id(), id)
}

/// Archives the application: its access to every resource is revoked and
/// removed from the data planes.
pub async fn archive(state: &AppState, caller: &Caller, app: &Application) -> Result<(), OpError> {
    caller.may_change()?;
    let cmd = ArchiveApplication {
        id: team_app(state, caller.team_id(), app.id)?.id,
        actor: caller.user,
    };
    Ok(state.teams.send(caller.team_id(), cmd).await??)
}

/// Deletes an archived application and its access requests for good.
pub async fn delete(state: &AppState, caller: &Caller, app: &Application) -> Result<(), OpError> {
    caller.may_change()?;
    let cmd = DeleteApplication {
        id: team_app(state, caller.team_id(), app.id)?.id,
        actor: caller.user,
    };
    Ok(state.teams.send(caller.team_id(), cmd).await??)
}
