//! Credentials: Create Credential, the credential panel with View Credential
//! (after the password), Suspend, Enable, Renew and Delete (each confirmed).
//! Pages that show a clear secret answer `Cache-Control: no-store`.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::scoped::{team_access, team_app, team_credential};
use crate::actors::credentials::{CreateCredential, NewSecret};
use crate::actors::team::TeamCommandError;
use crate::clock::Timestamp;
use crate::crypto::digest::hmac_sha256;
use crate::domain::FieldError;
use crate::domain::access::{AccessRequest, Approval, Provisioning};
use crate::domain::account::parse_short_name;
use crate::domain::credential::{Credential, time_left};
use crate::domain::ids::CredentialId;
use crate::domain::key_format::{self, KeyId};
use crate::domain::resource::CredentialType;
use crate::ops::AppState;
use crate::ops::reveal::{Hold, Subject};
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::once::{self, Once};
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub use super::credential_actions::act_on;
pub use super::credential_panel::{CredentialRow, credential_row, show, view};
pub use crate::domain::credential::secret_aad;

/// The grace periods a renewal offers: value, label, seconds.
pub(super) const GRACES: [(&str, &str, u64); 4] = [
    ("none", "No grace: the old secret stops at once", 0),
    ("1h", "1 hour", 3_600),
    ("24h", "24 hours", 86_400),
    ("7d", "7 days", 7 * 86_400),
];

/// A fresh secret for credential `id` at `version`: its keyed hash and, when
/// the data plane keeps a view window, the sealed value until the window
/// closes. `None` for the clear value when the data plane makes up secrets.
pub(super) fn new_secret(
    state: &AppState,
    id: CredentialId,
    version: u32,
    dataplane: &str,
) -> (Option<String>, NewSecret) {
    if state.dataplanes.generates_secrets(dataplane) {
        let none = NewSecret {
            hash: String::new(),
            sealed: None,
            for_agent: None,
        };
        return (None, none);
    }
    let secret = key_format::new_secret();
    let hash = hex::encode(hmac_sha256(&state.pepper, &[secret.as_bytes()]));
    let window = state
        .config
        .dataplane(dataplane)
        .map_or(Duration::ZERO, |d| d.view_window);
    let sealed = (!window.is_zero()).then(|| {
        let until = state.clock.now().plus(window);
        (
            state
                .vault
                .seal(secret.as_bytes(), &secret_aad(id, version)),
            until,
        )
    });
    let is_agent = state
        .config
        .dataplane(dataplane)
        .is_some_and(|d| d.webhook.is_some());
    let for_agent = is_agent.then(|| {
        state.vault.seal(
            secret.as_bytes(),
            &crate::domain::outbox::agent_aad(id, version),
        )
    });
    (
        Some(secret),
        NewSecret {
            hash,
            sealed,
            for_agent,
        },
    )
}

/// What the user copies: the full API key, or the OAuth client secret. A
/// secret the data plane made up is shown as it gave it.
fn shown_secret(c: &Credential, secret: &str, made_by_plane: bool) -> String {
    match c.kind {
        CredentialType::ApiKey if !made_by_plane => key_format::api_key(&c.key_id, secret),
        _ => secret.to_owned(),
    }
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// Whether credentials can be created under this access now.
pub fn can_create(a: &AccessRequest) -> bool {
    a.approval == Approval::Approved
        && matches!(
            a.provisioning,
            Provisioning::Pending | Provisioning::Provisioned
        )
}

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
    errors: FormErrors,
}

struct Context {
    access: AccessRequest,
    app_name: String,
    resource_name: String,
    accepted: Vec<CredentialType>,
}

fn context(
    state: &AppState,
    m: &TeamMember,
    path: &(String, String, String),
) -> Result<Context, WebError> {
    let app = team_app(state, m, &path.1)?;
    let access = team_access(state, m, &path.2)?;
    if access.application != app.id {
        return Err(WebError::NotFound);
    }
    let resource = state
        .store
        .resource(access.product, access.resource)?
        .ok_or(WebError::NotFound)?;
    Ok(Context {
        access,
        app_name: app.details.name,
        resource_name: resource.spec.name,
        accepted: resource.spec.credential_types,
    })
}

fn new_page(
    m: &TeamMember,
    cx: &Context,
    chosen: &str,
    name: String,
    errors: FormErrors,
) -> NewPage {
    let back = format!(
        "/teams/{}/applications/{}",
        m.team.id, cx.access.application
    );
    NewPage {
        layout: Layout::new(&m.who.0, "Create Credential"),
        action: format!("{back}/access/{}/credentials/new", cx.access.id),
        back,
        app_name: cx.app_name.clone(),
        resource_name: cx.resource_name.clone(),
        types: cx
            .accepted
            .iter()
            .map(|t| {
                (
                    t.as_str(),
                    t.label(),
                    t.as_str() == chosen || cx.accepted.len() == 1,
                )
            })
            .collect(),
        name,
        errors,
    }
}

pub async fn new_form(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(String, String, String)>,
) -> PageResult {
    let cx = context(&state, &m, &path)?;
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
    let first = cx.accepted.first().map_or("", |t| t.as_str());
    let name = format!("{} key", cx.app_name);
    page(&new_page(&m, &cx, first, name, FormErrors::default()))
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
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
        secret: shown_secret(c, secret, made_by_plane),
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
    path: web::Path<(String, String, String)>,
    Form(f): Form<NewForm>,
) -> PageResult {
    let cx = context(&state, &m, &path)?;
    let ticket = match once::begin(&state, m.who.user().id, &f.request_id)? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    let mut errors = FormErrors::default();
    let name = errors.check(parse_short_name(&f.name, "name", 80));
    let kind = CredentialType::parse(&f.kind).filter(|k| cx.accepted.contains(k));
    if kind.is_none() {
        errors.add(FieldError::new(
            "kind",
            "Choose one of the credential types this resource accepts.",
        ));
    }
    if let (Some(name), Some(kind)) = (name, kind) {
        let id = CredentialId::generate(state.clock.now());
        let key_id = KeyId::generate();
        let (secret, new) = new_secret(&state, id, 1, &cx.access.dataplane);
        let cmd = CreateCredential {
            id,
            access: cx.access.id,
            kind,
            name,
            key_id,
            secret: new,
            actor: m.who.user().id,
        };
        match state.teams.send(m.team.id, cmd).await? {
            Ok(()) => {
                let c = state.store.credential(id)?.ok_or(WebError::NotFound)?;
                let Some(secret) = secret else {
                    let panel = format!("/teams/{}/credentials/{}", m.team.id, c.id);
                    let said = if state.dataplanes.by_hand(&cx.access.dataplane) {
                        "The credential is created. The provider sets it up on their gateway and enters its secret: view it here once the credential is active."
                    } else {
                        "The credential is created. Its data plane makes up the secret: view it here once the credential is active."
                    };
                    let res = redirect_flash(&m.who.0, &panel, FlashKind::Success, said);
                    return ticket.done_with(&state, res, &panel).await;
                };
                hold_secret(&state, &m, &c, &secret, false)?;
                return ticket.done(&state, &secret_url(&m, c.id)).await;
            }
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(refused) => errors.add(FieldError::new("name", refused.to_string())),
        }
    }
    ticket.release(&state)?;
    form_again(&new_page(&m, &cx, &f.kind, f.name, errors))
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
    path: web::Path<(String, String)>,
) -> PageResult {
    let c = team_credential(&state, &m, &path.1)?;
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
