//! A team's page: its members and roles, and (for its admins) managing them.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::history::{AuditRow, audit_rows};
use crate::domain::FieldError;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::TeamRole;
use crate::ops::{AppState, OpError, teams};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{TeamAdmin, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub is_self: bool,
    /// The removal's dialog, in the words of its confirm page.
    pub confirm_remove: String,
}

/// What removing a member asks.
fn remove_question(name: &str, team: &str) -> (String, String) {
    (
        format!("Remove {name} from {team}?"),
        "They lose their role in the team at once; their account stays.".to_owned(),
    )
}

#[derive(serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    confirmed: String,
}

#[derive(Template)]
#[template(path = "teams/show.html")]
struct TeamPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    description: String,
    my_role: &'static str,
    provider: bool,
    can_manage: bool,
    members: Vec<MemberRow>,
    activity: Vec<AuditRow>,
    roles: [TeamRole; 3],
    add_email: String,
    add_role: String,
    errors: FormErrors,
}

fn team_page(
    state: &AppState,
    m: &TeamMember,
    add_email: String,
    add_role: String,
    errors: FormErrors,
) -> Result<TeamPage, WebError> {
    let me = m.who.user().id;
    let mut members = Vec::new();
    for ms in state.store.members(m.team.id)? {
        if let Some(u) = state.store.user(ms.user_id)? {
            members.push(MemberRow {
                confirm_remove: super::confirm::dialog(remove_question(
                    &u.display_name.to_string(),
                    &m.team.name.to_string(),
                )),
                user_id: u.id.to_string(),
                name: u.display_name.to_string(),
                email: u.email.to_string(),
                role: ms.role.as_str(),
                is_self: u.id == me,
            });
        }
    }
    members.sort_by_key(|m| m.name.to_lowercase());
    let activity = audit_rows(&state.store, state.store.team_audit(m.team.id, 20)?)?;
    Ok(TeamPage {
        layout: Layout::new(&m.who.0, m.team.name.to_string()),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        description: m.team.description.clone(),
        my_role: m.role.as_str(),
        provider: m.team.provider,
        can_manage: m.role == TeamRole::Admin,
        members,
        activity,
        roles: TeamRole::ALL,
        add_email,
        add_role,
        errors,
    })
}

pub async fn show(state: web::Data<AppState>, m: TeamMember) -> PageResult {
    page(&team_page(
        &state,
        &m,
        String::new(),
        "developer".to_owned(),
        FormErrors::default(),
    )?)
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    request_id: String,
}

/// Adds a member, under the double-submit guard.
pub async fn add_member(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    Form(f): Form<AddForm>,
) -> PageResult {
    let request_id = f.request_id.clone();
    let user = m.who.user().id;
    guarded(&state, user, &request_id, || {
        add_member_now(state.clone(), m, f)
    })
    .await
}

async fn add_member_now(
    state: web::Data<AppState>,
    m: crate::web::extractors::TeamMember,
    f: AddForm,
) -> PageResult {
    let errors = match teams::add_member(&state, &m.caller(), &f.email, &f.role).await {
        Ok((user, role)) => {
            return Ok(redirect_flash(
                &m.who.0,
                &format!("/teams/{}", m.team.id),
                FlashKind::Success,
                format!(
                    "{} is now a {} of {}.",
                    user.display_name, role, m.team.name
                ),
            ));
        }
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => FormErrors::one(FieldError::new("email", message_of(e)?)),
    };
    form_again(&team_page(&state, &m, f.email, f.role, errors)?)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Answers a member change: back to the team page with what happened.
fn outcome(m: &TeamMember, result: Result<String, OpError>) -> PageResult {
    let to = format!("/teams/{}", m.team.id);
    let (kind, message) = match result {
        Ok(done) => (FlashKind::Success, done),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&m.who.0, &to, kind, message))
}

fn member_name(state: &AppState, user: UserId) -> Result<String, WebError> {
    state
        .store
        .user(user)?
        .map(|u| u.display_name.to_string())
        .ok_or(WebError::NotFound)
}

pub async fn set_role(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, UserId)>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    let user = path.1;
    let role = TeamRole::parse(&f.role).map_err(|e| WebError::BadRequest(e.message))?;
    let result = teams::set_role(&state, &m.caller(), user, role).await;
    outcome(
        &m,
        result.map(|u| format!("{} is now a {role}.", u.display_name)),
    )
}

pub async fn remove_member(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, UserId)>,
    Form(f): Form<RemoveForm>,
) -> PageResult {
    let user = path.1;
    let name = member_name(&state, user)?;
    if f.confirmed != "yes" {
        let back = format!("/teams/{}", m.team.id);
        return super::confirm::confirm_page(
            &m.who.0,
            remove_question(&name, &m.team.name.to_string()),
            format!("{back}/members/{user}/remove"),
            format!("Yes, remove {name}"),
            back,
            Vec::new(),
        );
    }
    let result = teams::remove_member(&state, &m.caller(), user).await;
    outcome(
        &m,
        result.map(|_| format!("{name} is no longer a member of {}.", m.team.name)),
    )
}
