//! Platform admin: all teams, and creating one.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::actors::catalog::SetProvider;
use crate::actors::team::{CreateTeam, TeamCommandError};
use crate::domain::FieldError;
use crate::domain::account::Email;
use crate::domain::ids::TeamId;
use crate::domain::team::{Team, TeamName};
use crate::ops::AppState;
use crate::store::Conflict;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::PlatformAdmin;
use crate::web::flash::FlashKind;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub members: usize,
    pub created: String,
    pub provider: bool,
}

#[derive(Template)]
#[template(path = "admin/teams.html")]
struct TeamsPage {
    layout: Layout,
    teams: Vec<TeamRow>,
}

pub async fn list(state: web::Data<AppState>, PlatformAdmin(who): PlatformAdmin) -> PageResult {
    let mut teams = Vec::new();
    for t in state.store.teams()? {
        let members = state.store.members(t.id)?.len();
        teams.push(TeamRow {
            id: t.id.to_string(),
            name: t.name.to_string(),
            members,
            created: t.created_at.display(),
            provider: t.provider,
        });
    }
    teams.sort_by_key(|t| t.name.to_lowercase());
    page(&TeamsPage {
        layout: Layout::new(&who.0, "Teams"),
        teams,
    })
}

#[derive(Template)]
#[template(path = "admin/team_new.html")]
struct NewTeamPage {
    layout: Layout,
    name: String,
    description: String,
    admin_email: String,
    errors: FormErrors,
}

pub async fn form(PlatformAdmin(who): PlatformAdmin) -> PageResult {
    let admin_email = who.user().email.to_string();
    page(&NewTeamPage {
        layout: Layout::new(&who.0, "New team"),
        name: String::new(),
        description: String::new(),
        admin_email,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct NewTeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    admin_email: String,
    #[serde(default)]
    request_id: String,
}

/// A new team, under the double-submit guard.
pub async fn submit(
    state: web::Data<AppState>,
    PlatformAdmin(who): PlatformAdmin,
    Form(f): Form<NewTeamForm>,
) -> PageResult {
    let request_id = f.request_id.clone();
    let user = who.user().id;
    guarded(&state, user, &request_id, || {
        create_team(state.clone(), who, f)
    })
    .await
}

async fn create_team(
    state: web::Data<AppState>,
    who: crate::web::extractors::SignedIn,
    f: NewTeamForm,
) -> PageResult {
    let mut errors = FormErrors::default();
    let name = errors.check(TeamName::parse(&f.name));
    let description = f.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.add(FieldError::new(
            "description",
            "Use at most 500 characters.",
        ));
    }
    let admin = match errors
        .check(Email::parse(&f.admin_email).map_err(|e| FieldError::new("admin_email", e.message)))
    {
        Some(email) => {
            let found = state.store.user_by_email(&email)?;
            if found.is_none() {
                errors.add(FieldError::new(
                    "admin_email",
                    "No account has this email. Invite the person first, or name yourself.",
                ));
            }
            found
        }
        None => None,
    };
    if let (Some(name), Some(admin), true) = (name, admin, errors.is_empty()) {
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
            first_admin: admin.id,
            actor: who.user().id,
        };
        match state.teams.send(id, cmd).await? {
            Ok(()) => {
                return Ok(redirect_flash(
                    &who.0,
                    &format!("/teams/{id}"),
                    FlashKind::Success,
                    "The team is created.",
                ));
            }
            Err(TeamCommandError::Conflict(Conflict::TeamNameTaken)) => {
                errors.add(FieldError::new(
                    "name",
                    "A team with this name already exists.",
                ));
            }
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(other) => errors.add(FieldError::new("name", other.to_string())),
        }
    }
    form_again(&NewTeamPage {
        layout: Layout::new(&who.0, "New team"),
        name: f.name,
        description: f.description,
        admin_email: f.admin_email,
        errors,
    })
}

#[derive(Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    provider: String,
}

/// Marks a team as a provider team, or back to consumer only.
pub async fn set_provider(
    state: web::Data<AppState>,
    PlatformAdmin(who): PlatformAdmin,
    path: web::Path<String>,
    Form(f): Form<ProviderForm>,
) -> PageResult {
    let id: TeamId = path.parse().map_err(|_| WebError::NotFound)?;
    let team = state.store.team(id)?.ok_or(WebError::NotFound)?;
    let provider = f.provider == "yes";
    let cmd = SetProvider {
        provider,
        actor: who.user().id,
    };
    let (kind, message) = match state.teams.send(id, cmd).await? {
        Ok(()) if provider => (
            FlashKind::Success,
            format!(
                "{} is a provider team: its admins and developers can publish products.",
                team.name
            ),
        ),
        Ok(()) => (
            FlashKind::Success,
            format!("{} is no longer a provider team.", team.name),
        ),
        Err(TeamCommandError::Store(e)) => return Err(e.into()),
        Err(refused) => (FlashKind::Error, refused.to_string()),
    };
    Ok(redirect_flash(&who.0, "/admin/teams", kind, message))
}
