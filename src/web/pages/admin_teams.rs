//! Platform admin: all teams, and creating one.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldError;
use crate::domain::ids::TeamId;
use crate::ops::{AppState, OpError, teams};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
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
    let admin = teams::PlatformAdmin {
        user: who.user().id,
    };
    let new = teams::NewTeam {
        name: f.name.clone(),
        description: f.description.clone(),
        admin_email: f.admin_email.clone(),
    };
    let errors = match teams::create_team(&state, admin, &new).await {
        Ok(team) => {
            return Ok(redirect_flash(
                &who.0,
                &format!("/teams/{}", team.id),
                FlashKind::Success,
                "The team is created.",
            ));
        }
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => FormErrors::one(FieldError::new("name", message_of(e)?)),
    };
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
    path: web::Path<TeamId>,
    Form(f): Form<ProviderForm>,
) -> PageResult {
    let admin = teams::PlatformAdmin {
        user: who.user().id,
    };
    let provider = f.provider == "yes";
    let (kind, message) = match teams::set_provider(&state, admin, *path, provider).await {
        Ok(team) if provider => (
            FlashKind::Success,
            format!(
                "{} is a provider team: its admins and developers can publish products.",
                team.name
            ),
        ),
        Ok(team) => (
            FlashKind::Success,
            format!("{} is no longer a provider team.", team.name),
        ),
        Err(OpError::NotFound) => return Err(WebError::NotFound),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&who.0, "/admin/teams", kind, message))
}
