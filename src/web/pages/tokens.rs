//! API tokens in the pages: a person's own on their account, a team's
//! service tokens for its admins. A new token is shown once, on a GET page
//! that answers `no-store`; revoking asks first.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::confirm::{Confirmed, confirm_page, dialog};
use crate::domain::ids::TeamId;
use crate::domain::key_format::KeyId;
use crate::domain::token::{ApiToken, TokenOwner};
use crate::ops::reveal::{Hold, Subject};
use crate::ops::tokens::{self, TokenInput};
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{SignedIn, TeamAdmin};
use crate::web::flash::FlashKind;
use crate::web::once::{self, Once};
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};
use crate::web::session::Visitor;

pub struct Row {
    pub id: String,
    pub name: String,
    pub scope: &'static str,
    /// The one team a personal token is limited to, if any.
    pub team: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "tokens/list.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    intro: &'static str,
    base: String,
    rows: Vec<Row>,
    /// Personal tokens may be limited to one of these teams.
    teams: Vec<(String, String)>,
    name: String,
    scope: String,
    team: String,
    expires_in_days: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "tokens/shown.html")]
struct ShownPage {
    layout: Layout,
    heading: &'static str,
    token: Option<String>,
    back: String,
}

fn revoke_question(t: &ApiToken) -> (String, String) {
    (
        format!("Revoke {}?", t.name),
        "Calls with this token are refused from now on. This cannot be undone.".to_owned(),
    )
}

fn rows(state: &AppState, all: Vec<ApiToken>) -> Result<Vec<Row>, WebError> {
    let mut out = Vec::with_capacity(all.len());
    for t in all {
        let team = match t.owner {
            TokenOwner::Person { team: Some(id), .. } => state
                .store
                .team(id)?
                .map(|t| format!("only {}", t.name))
                .unwrap_or_default(),
            _ => String::new(),
        };
        out.push(Row {
            id: t.id.to_string(),
            confirm: dialog(revoke_question(&t)),
            scope: t.scope.label(),
            team,
            created: t.created_at.display(),
            expires: t.expires_at.map_or("never".to_owned(), |at| at.display()),
            last_used: t.last_used.map_or("never".to_owned(), |at| at.display()),
            name: t.name,
        });
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
pub struct NewTokenForm {
    #[serde(flatten)]
    input: TokenInput,
    /// A personal token's one team; empty: all of them.
    #[serde(default)]
    team: String,
    #[serde(default)]
    request_id: String,
}

/// Where a team's token pages are.
fn team_base(team: TeamId) -> String {
    format!("/teams/{team}/tokens")
}

const ACCOUNT_BASE: &str = "/account/tokens";

fn personal_page(
    state: &AppState,
    who: &SignedIn,
    f: NewTokenForm,
    errors: FormErrors,
) -> Result<ListPage, WebError> {
    let teams = (who.0.user.as_ref().map(|u| u.teams.clone()))
        .unwrap_or_default()
        .into_iter()
        .map(|(t, _)| (t.id.to_string(), t.name.to_string()))
        .collect();
    Ok(ListPage {
        layout: Layout::new(&who.0, "API tokens"),
        heading: "Your API tokens".to_owned(),
        intro: "A personal token acts as you: in all your teams or in one, with your role there.",
        base: ACCOUNT_BASE.to_owned(),
        rows: rows(state, tokens::personal(state, who.user().id)?)?,
        teams,
        name: f.input.name,
        scope: f.input.scope,
        team: f.team,
        expires_in_days: f.input.expires_in_days,
        errors,
    })
}

fn team_page(
    state: &AppState,
    m: &crate::web::extractors::TeamMember,
    f: NewTokenForm,
    errors: FormErrors,
) -> Result<ListPage, WebError> {
    Ok(ListPage {
        layout: Layout::new(&m.who.0, "Service tokens"),
        heading: format!("Service tokens of {}", m.team.name),
        intro: "A service token belongs to the team, not to a person: it acts as a developer of the team (read and write) or a viewer (read only), and stays when people leave.",
        base: team_base(m.team.id),
        rows: rows(state, tokens::of_team(state, &m.caller())?)?,
        teams: Vec::new(),
        name: f.input.name,
        scope: f.input.scope,
        team: String::new(),
        expires_in_days: f.input.expires_in_days,
        errors,
    })
}

pub async fn personal_list(state: web::Data<AppState>, who: SignedIn) -> PageResult {
    page(&personal_page(
        &state,
        &who,
        NewTokenForm::default(),
        FormErrors::default(),
    )?)
}

pub async fn team_list(state: web::Data<AppState>, TeamAdmin(m): TeamAdmin) -> PageResult {
    page(&team_page(
        &state,
        &m,
        NewTokenForm::default(),
        FormErrors::default(),
    )?)
}

/// Holds the new token for this session's page that shows it once.
fn hold(state: &AppState, visitor: &Visitor, made: &tokens::Made) -> Result<(), WebError> {
    let session = visitor
        .user
        .as_ref()
        .map(|u| u.session_hash)
        .ok_or(WebError::NotFound)?;
    state.reveals.hold(
        &state.vault,
        Hold {
            session: &session,
            subject: Subject::Token(made.token.id),
            version: 1,
            made_by_plane: false,
            renewed: false,
            once: true,
        },
        &made.clear,
        state.clock.now(),
    );
    Ok(())
}

fn form_errors(e: OpError) -> Result<FormErrors, WebError> {
    Ok(match e {
        OpError::Invalid(fields) => FormErrors::from(fields),
        other => FormErrors::one(crate::domain::FieldError::new("name", message_of(other)?)),
    })
}

pub async fn personal_create(
    state: web::Data<AppState>,
    who: SignedIn,
    Form(f): Form<NewTokenForm>,
) -> PageResult {
    let ticket = match once::begin(&state, who.user().id, &f.request_id)? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    let team = match f.team.trim() {
        "" => None,
        raw => Some(
            raw.parse::<TeamId>()
                .map_err(|_| WebError::BadRequest("Choose one of your teams.".to_owned()))?,
        ),
    };
    match tokens::create_personal(&state, who.user(), team, &f.input).await {
        Ok(made) => {
            hold(&state, &who.0, &made)?;
            ticket
                .done(&state, &format!("{ACCOUNT_BASE}/{}/shown", made.token.id))
                .await
        }
        Err(e) => {
            ticket.release(&state)?;
            let errors = form_errors(e)?;
            form_again(&personal_page(&state, &who, f, errors)?)
        }
    }
}

pub async fn team_create(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    Form(f): Form<NewTokenForm>,
) -> PageResult {
    let ticket = match once::begin(&state, m.who.user().id, &f.request_id)? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    match tokens::create_for_team(&state, &m.caller(), &f.input).await {
        Ok(made) => {
            hold(&state, &m.who.0, &made)?;
            let to = format!("{}/{}/shown", team_base(m.team.id), made.token.id);
            ticket.done(&state, &to).await
        }
        Err(e) => {
            ticket.release(&state)?;
            let errors = form_errors(e)?;
            form_again(&team_page(&state, &m, f, errors)?)
        }
    }
}

fn shown(state: &AppState, visitor: &Visitor, id: KeyId, back: String) -> PageResult {
    let token = match visitor.user.as_ref() {
        Some(u) => state
            .reveals
            .take(
                &state.vault,
                &u.session_hash,
                Subject::Token(id),
                state.clock.now(),
            )
            .map(|r| r.secret),
        None => None,
    };
    let mut res: HttpResponse = page(&ShownPage {
        layout: Layout::new(visitor, "Your new API token"),
        heading: if token.is_some() {
            "Your new API token"
        } else {
            "The token was shown"
        },
        token,
        back,
    })?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub async fn personal_shown(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<KeyId>,
) -> PageResult {
    shown(&state, &who.0, *path, ACCOUNT_BASE.to_owned())
}

pub async fn team_shown(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, KeyId)>,
) -> PageResult {
    shown(&state, &m.who.0, path.1, team_base(m.team.id))
}

pub async fn personal_revoke(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<KeyId>,
    Form(f): Form<Confirmed>,
) -> PageResult {
    let id = *path;
    let t = tokens::personal(&state, who.user().id)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(WebError::NotFound)?;
    if f.confirmed != "yes" {
        return confirm_page(
            &who.0,
            revoke_question(&t),
            format!("{ACCOUNT_BASE}/{id}/revoke"),
            format!("Yes, revoke {}", t.name),
            ACCOUNT_BASE.to_owned(),
            Vec::new(),
        );
    }
    let t = tokens::revoke_personal(&state, who.user().id, &id).await?;
    Ok(redirect_flash(
        &who.0,
        ACCOUNT_BASE,
        FlashKind::Success,
        format!("{} is revoked: calls with it are refused.", t.name),
    ))
}

pub async fn team_revoke(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, KeyId)>,
    Form(f): Form<Confirmed>,
) -> PageResult {
    let id = path.1;
    let base = team_base(m.team.id);
    let t = tokens::of_team(&state, &m.caller())?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(WebError::NotFound)?;
    if f.confirmed != "yes" {
        return confirm_page(
            &m.who.0,
            revoke_question(&t),
            format!("{base}/{id}/revoke"),
            format!("Yes, revoke {}", t.name),
            base,
            Vec::new(),
        );
    }
    let t = tokens::revoke_for_team(&state, &m.caller(), &id).await?;
    Ok(redirect_flash(
        &m.who.0,
        &base,
        FlashKind::Success,
        format!("{} is revoked: calls with it are refused.", t.name),
    ))
}
