//! Credentials: Create Credential, the credential panel with View Credential
//! (after the password), Suspend, Enable, Renew and Delete (each confirmed).
//! Pages that show a clear secret answer `Cache-Control: no-store`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::clock::Timestamp;
use crate::domain::FieldError;
use crate::domain::credential::{Credential, time_left};
use crate::domain::ids::{AccessId, ApplicationId, CredentialId, TeamId};
use crate::domain::resource::CredentialType;
use crate::ops::credentials::{self, Fresh, Made, MadeBy, NewCredential, Place};
use crate::ops::reveal::{Hold, Subject};
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::once::{self, Once};
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub use super::credential_actions::act_on;
pub use super::credential_panel::{CredentialRow, credential_row, show, view};

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

pub use crate::ops::credentials::can_create;

#[derive(Template)]
#[template(path = "credentials/new.html")]
struct NewPage {
    layout: Layout,
    action: String,
    back: String,
    app_name: String,
    resource_name: String,
    types: Vec<(&'static str, &'static str, bool)>,
    name: String,
    /// The lifetime policy in words, its bounds, and the days typed.
    policy: String,
    max_days: Option<u32>,
    default_days: Option<u32>,
    lifetime_days: String,
    errors: FormErrors,
}

/// What the form had: the type chosen, the name and lifetime typed.
struct Typed<'a> {
    kind: &'a str,
    name: String,
    lifetime_days: String,
}

fn new_page(
    state: &AppState,
    m: &TeamMember,
    cx: &Place,
    typed: Typed<'_>,
    errors: FormErrors,
) -> Result<NewPage, WebError> {
    let policy = credentials::policy(state, &cx.access)?;
    let chosen = typed.kind;
    let back = format!(
        "/teams/{}/applications/{}",
        m.team.id, cx.access.application
    );
    let accepted = &cx.resource.spec.credential_types;
    Ok(NewPage {
        layout: Layout::new(&m.who.0, "Create Credential"),
        action: format!("{back}/access/{}/credentials/new", cx.access.id),
        back,
        app_name: cx.application.details.name.clone(),
        resource_name: cx.resource.spec.name.clone(),
        types: accepted
            .iter()
            .map(|t| {
                (
                    t.as_str(),
                    t.label(),
                    t.as_str() == chosen || accepted.len() == 1,
                )
            })
            .collect(),
        name: typed.name,
        policy: policy.to_string(),
        max_days: policy.max_days,
        default_days: policy.default_days,
        lifetime_days: typed.lifetime_days,
        errors,
    })
}

pub async fn new_form(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId, AccessId)>,
) -> PageResult {
    let (team, app, access) = path.into_inner();
    let cx = credentials::place(&state, team, app, access)?;
    if !can_create(&cx.access) {
        return Ok(redirect_flash(
            &m.who.0,
            &format!(
                "/teams/{}/applications/{}",
                m.team.id, cx.access.application
            ),
            FlashKind::Error,
            "Credentials can be created once access is approved.",
        ));
    }
    let first = cx
        .resource
        .spec
        .credential_types
        .first()
        .map_or("", |t| t.as_str());
    let name = format!("{} key", cx.application.details.name);
    let typed = Typed {
        kind: first,
        name,
        lifetime_days: String::new(),
    };
    page(&new_page(&state, &m, &cx, typed, FormErrors::default())?)
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(flatten)]
    new: NewCredential,
    #[serde(default)]
    request_id: String,
}

#[derive(Template)]
#[template(path = "credentials/secret.html")]
struct SecretPage {
    layout: Layout,
    heading: String,
    panel: String,
    name: String,
    is_api_key: bool,
    client_id: String,
    secret: String,
    window: String,
}

pub(super) fn secret_page(
    m: &TeamMember,
    c: &Credential,
    secret: &str,
    made_by_plane: bool,
    heading: &str,
    now: Timestamp,
) -> PageResult {
    let window = match c.window_until {
        Some(until) => format!(
            "You can view it again from the credential's panel for {}, after confirming your password.",
            time_left(now, until).trim_end_matches(" left")
        ),
        None => "It is shown only now: Agora does not keep it.".to_owned(),
    };
    let res = page(&SecretPage {
        layout: Layout::new(&m.who.0, heading.to_owned()),
        heading: heading.to_owned(),
        panel: format!("/teams/{}/credentials/{}", m.team.id, c.id),
        name: c.name.clone(),
        is_api_key: c.kind == CredentialType::ApiKey,
        client_id: c.client_id(),
        secret: credentials::shown_secret(c, secret, made_by_plane),
        window,
    })?;
    Ok(no_store(res))
}

/// Where a new secret is shown: a GET page, so a reload repeats nothing.
pub(super) fn secret_url(m: &TeamMember, c: CredentialId) -> String {
    format!("/teams/{}/credentials/{c}/secret", m.team.id)
}

/// Holds a new clear secret for this session's result page (see `web::reveal`).
pub(super) fn hold_secret(
    state: &AppState,
    m: &TeamMember,
    c: &Credential,
    secret: &str,
    renewed: bool,
) -> Result<(), WebError> {
    let session = m
        .who
        .0
        .user
        .as_ref()
        .map(|u| u.session_hash)
        .ok_or(WebError::NotFound)?;
    state.reveals.hold(
        &state.vault,
        Hold {
            session: &session,
            subject: Subject::Credential(c.id),
            version: c.secret_version,
            made_by_plane: false,
            renewed,
            once: c.window_until.is_none(),
        },
        secret,
        state.clock.now(),
    );
    Ok(())
}

pub async fn create(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId, AccessId)>,
    Form(f): Form<NewForm>,
) -> PageResult {
    let (team, app, access) = path.into_inner();
    let cx = credentials::place(&state, team, app, access)?;
    let ticket = match once::begin(&state, m.who.user().id, &f.request_id)? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    let errors = match credentials::create(&state, &m.caller(), &cx, &f.new).await {
        Ok(Made {
            credential: c,
            secret: Fresh::Now(secret),
        }) => {
            hold_secret(&state, &m, &c, &secret, false)?;
            return ticket.done(&state, &secret_url(&m, c.id)).await;
        }
        Ok(Made {
            credential: c,
            secret: Fresh::Later(by),
        }) => {
            let panel = format!("/teams/{}/credentials/{}", m.team.id, c.id);
            let said = match by {
                MadeBy::Provider => {
                    "The credential is created. The provider sets it up on their gateway and enters its secret: view it here once the credential is active."
                }
                MadeBy::DataPlane => {
                    "The credential is created. Its data plane makes up the secret: view it here once the credential is active."
                }
            };
            let res = redirect_flash(&m.who.0, &panel, FlashKind::Success, said);
            return ticket.done_with(&state, res, &panel).await;
        }
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => match message_of(e) {
            Ok(message) => FormErrors::one(FieldError::new("name", message)),
            Err(e) => {
                ticket.release(&state)?;
                return Err(e);
            }
        },
    };
    ticket.release(&state)?;
    let typed = Typed {
        kind: &f.new.kind,
        name: f.new.name.clone(),
        lifetime_days: f.new.lifetime_days.clone(),
    };
    form_again(&new_page(&state, &m, &cx, typed, errors)?)
}

#[derive(Template)]
#[template(path = "credentials/shown.html")]
struct ShownPage {
    layout: Layout,
    name: String,
    panel: String,
    /// Until when View Credential can show it again, if it can.
    viewable_until: Option<String>,
    can_renew: bool,
}

/// The page a Create Credential or a Renew credential leads to: the new
/// secret while this session may still see it here; afterwards, what to do.
pub async fn secret_result(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, CredentialId)>,
) -> PageResult {
    let c = credentials::team_credential(&state, m.team.id, path.1)?;
    let now = state.clock.now();
    let session = m.who.0.user.as_ref().map(|u| u.session_hash);
    let revealed = session.and_then(|s| {
        state
            .reveals
            .take(&state.vault, &s, Subject::Credential(c.id), now)
    });
    if let Some(r) = revealed {
        let heading = if r.renewed {
            "Your renewed credential"
        } else {
            "Your new credential"
        };
        return secret_page(&m, &c, &r.secret, r.made_by_plane, heading, now);
    }
    let res = page(&ShownPage {
        layout: Layout::new(&m.who.0, "The secret was shown"),
        name: c.name.clone(),
        panel: format!("/teams/{}/credentials/{}", m.team.id, c.id),
        viewable_until: c
            .viewable(now)
            .then(|| c.window_until.map(|u| u.display()))
            .flatten(),
        can_renew: c.desired != crate::domain::credential::Desired::Deleted
            && state.dataplanes.can_renew(&c.dataplane),
    })?;
    Ok(no_store(res))
}
