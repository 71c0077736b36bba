//! Credentials: Create Credential, the credential panel with View Credential
//! (after the password), Suspend, Enable, Renew and Delete (each confirmed).
//! Pages that show a clear secret answer `Cache-Control: no-store`.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::applications::{ConfirmPage, team_app};
use super::history::{AuditRow, audit_rows};
use crate::actors::credentials::{ChangeCredential, CreateCredential, NewSecret};
use crate::actors::team::TeamCommandError;
use crate::clock::Timestamp;
use crate::crypto::digest::hmac_sha256;
use crate::domain::FieldError;
use crate::domain::access::{AccessRequest, Approval, Provisioning};
use crate::domain::account::{Password, parse_short_name};
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialAction, Desired, time_left};
use crate::domain::ids::{AccessId, AuditId, CredentialId};
use crate::domain::key_format::{self, KeyId};
use crate::domain::resource::CredentialType;
use crate::web::AppState;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::render::{
    FormErrors, Layout, PageResult, form_again, page, page_with_status, redirect_flash,
};

pub use crate::domain::credential::secret_aad;

/// A fresh secret for credential `id` at `version`: its keyed hash and, when
/// the data plane keeps a view window, the sealed value until the window
/// closes. `None` for the clear value when the data plane makes up secrets.
fn new_secret(
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
fn shown_secret(c: &Credential, secret: &str) -> String {
    match c.kind {
        CredentialType::ApiKey if key_format::is_client_secret(secret) => {
            key_format::api_key(&c.key_id, secret)
        }
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

/// The team's access in the path.
fn team_access(state: &AppState, m: &TeamMember, raw: &str) -> Result<AccessRequest, WebError> {
    let id: AccessId = raw.parse().map_err(|_| WebError::NotFound)?;
    match state.store.access(id)? {
        Some(a) if a.team == m.team.id => Ok(a),
        _ => Err(WebError::NotFound),
    }
}

/// The team's credential in the path.
pub fn team_credential(
    state: &AppState,
    m: &TeamMember,
    raw: &str,
) -> Result<Credential, WebError> {
    let id: CredentialId = raw.parse().map_err(|_| WebError::NotFound)?;
    match state.store.credential(id)? {
        Some(c) if c.team == m.team.id => Ok(c),
        _ => Err(WebError::NotFound),
    }
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

fn secret_page(
    m: &TeamMember,
    c: &Credential,
    secret: &str,
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
        client_id: c.key_id.client_id(),
        secret: shown_secret(c, secret),
        window,
    })?;
    Ok(no_store(res))
}

pub async fn create(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(String, String, String)>,
    Form(f): Form<NewForm>,
) -> PageResult {
    let cx = context(&state, &m, &path)?;
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
                    return Ok(redirect_flash(
                        &m.who.0,
                        &format!("/teams/{}/credentials/{}", m.team.id, c.id),
                        FlashKind::Success,
                        "The credential is created. Its data plane makes up the secret: view it here once the credential is active.",
                    ));
                };
                return secret_page(&m, &c, &secret, "Your new credential", state.clock.now());
            }
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(refused) => errors.add(FieldError::new("name", refused.to_string())),
        }
    }
    form_again(&new_page(&m, &cx, &f.kind, f.name, errors))
}

/// One credential in a list.
pub struct CredentialRow {
    pub id: String,
    pub href: String,
    pub name: String,
    pub kind: &'static str,
    pub key_id: String,
    pub state: String,
    pub state_class: &'static str,
    pub created: String,
    pub last_used: String,
    pub error: String,
    pub reason: String,
    /// "waiting for data plane (attempt 2 failed, next at …)" while retrying.
    pub progress: String,
    pub failed: bool,
}

pub fn credential_row(state: &AppState, c: &Credential) -> Result<CredentialRow, WebError> {
    let last_used = match state.gateway.last_used(&c.key_id) {
        Some(t) => Some(t),
        None => state.store.last_used(&c.key_id)?,
    };
    Ok(CredentialRow {
        id: c.id.to_string(),
        href: format!("/teams/{}/credentials/{}", c.team, c.id),
        name: c.name.clone(),
        kind: c.kind.label(),
        key_id: match c.kind {
            CredentialType::ApiKey => c.key_id.to_string(),
            CredentialType::OauthClient => c.key_id.client_id(),
        },
        state: c.state_label(),
        state_class: match c.state_name() {
            "Active" => "state-active",
            "Pending" => "state-pending",
            "Failed" | "Deleting" => "state-revoked",
            _ => "state-cancelled",
        },
        created: c.created_at.display(),
        last_used: last_used
            .map(|t| t.display())
            .unwrap_or_else(|| "never".to_owned()),
        error: c.last_error.clone().unwrap_or_default(),
        reason: c.reason.clone().unwrap_or_default(),
        progress: match c.task.map(|t| state.store.task(t)).transpose()?.flatten() {
            Some(t) if c.failed => format!("gave up after {} attempt(s)", t.attempts),
            Some(t) if t.state == crate::domain::outbox::TaskState::Waiting => {
                "waiting for the provider to set it up by hand".to_owned()
            }
            Some(t) if t.attempts > 0 => format!(
                "waiting for data plane (attempt {}, next at {})",
                t.attempts + 1,
                t.next_at.display()
            ),
            Some(_) => "waiting for data plane".to_owned(),
            None => String::new(),
        },
        failed: c.failed,
    })
}

#[derive(Template)]
#[template(path = "credentials/show.html")]
struct PanelPage {
    layout: Layout,
    base: String,
    app_href: String,
    app_name: String,
    resource_name: String,
    row: CredentialRow,
    can_act: bool,
    deleting: bool,
    suspended: bool,
    viewable: bool,
    time_left: String,
    create_href: String,
    can_renew: bool,
    can_suspend: bool,
    graces: Vec<(&'static str, &'static str)>,
    history: Vec<AuditRow>,
    errors: FormErrors,
}

const GRACES: [(&str, &str, u64); 4] = [
    ("none", "No grace: the old secret stops at once", 0),
    ("1h", "1 hour", 3_600),
    ("24h", "24 hours", 86_400),
    ("7d", "7 days", 7 * 86_400),
];

fn panel(
    state: &AppState,
    m: &TeamMember,
    c: &Credential,
    errors: FormErrors,
) -> Result<PanelPage, WebError> {
    let now = state.clock.now();
    let app = state.store.application(c.application)?;
    let resource = state.store.resource(c.product, c.resource)?;
    let max_grace = state
        .config
        .dataplane(&c.dataplane)
        .map_or(Duration::ZERO, |d| d.max_renew_grace);
    Ok(PanelPage {
        layout: Layout::new(&m.who.0, c.name.clone()),
        base: format!("/teams/{}/credentials/{}", m.team.id, c.id),
        app_href: format!("/teams/{}/applications/{}", m.team.id, c.application),
        app_name: app.map(|a| a.details.name).unwrap_or_default(),
        resource_name: resource.map(|r| r.spec.name).unwrap_or_default(),
        row: credential_row(state, c)?,
        can_act: m.role.can_act(),
        deleting: c.desired == Desired::Deleted,
        suspended: c.desired == Desired::Inactive,
        viewable: c.viewable(now),
        create_href: format!(
            "/teams/{}/applications/{}/access/{}/credentials/new",
            m.team.id, c.application, c.access
        ),
        time_left: c
            .window_until
            .map(|u| time_left(now, u))
            .unwrap_or_default(),
        can_renew: state.dataplanes.can_renew(&c.dataplane),
        can_suspend: state.dataplanes.can_suspend(&c.dataplane),
        graces: GRACES
            .iter()
            .filter(|(_, _, secs)| Duration::from_secs(*secs) <= max_grace)
            .map(|(v, l, _)| (*v, *l))
            .collect(),
        history: audit_rows(
            &state.store,
            state.store.subject_audit(Subject::Credential(c.id), 30)?,
        )?,
        errors,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    m: TeamMember,
    path: web::Path<(String, String)>,
) -> PageResult {
    let c = team_credential(&state, &m, &path.1)?;
    page(&panel(&state, &m, &c, FormErrors::default())?)
}

#[derive(Deserialize)]
pub struct ViewForm {
    #[serde(default)]
    password: String,
}

/// View Credential: the password again, then the clear value (no-store, audited).
pub async fn view(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(String, String)>,
    Form(f): Form<ViewForm>,
) -> PageResult {
    let c = team_credential(&state, &m, &path.1)?;
    let confirmed = state
        .hasher
        .verify(
            Password::offered(f.password),
            m.who.user().password_hash.clone(),
        )
        .await;
    if !confirmed {
        let errors = FormErrors::one(FieldError::new("password", "This is not your password."));
        return page_with_status(
            &panel(&state, &m, &c, errors)?,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let now = state.clock.now();
    let sealed = if c.viewable(now) {
        state.store.sealed_secret(c.id, c.secret_version)?
    } else {
        None
    };
    let Some(sealed) = sealed else {
        let errors = FormErrors::one(FieldError::new(
            "password",
            "The secret is no longer viewable: its view window has closed.",
        ));
        return page_with_status(
            &panel(&state, &m, &c, errors)?,
            actix_web::http::StatusCode::GONE,
        );
    };
    let clear = state
        .vault
        .open(&sealed, &secret_aad(c.id, c.secret_version))
        .map_err(WebError::internal)?;
    let secret = String::from_utf8(clear).map_err(WebError::internal)?;
    let record = AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: Some(m.who.user().id),
        team: Some(m.team.id),
        action: "credential.viewed".to_owned(),
        detail: format!("viewed the secret of credential {} ({})", c.name, c.key_id),
        subject: Some(Subject::Credential(c.id)),
    };
    state.store.append_audit(&record)?;
    state.store.flush().await?;
    secret_page(&m, &c, &secret, "View Credential", now)
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    grace: String,
}

fn question(action: &str, c: &Credential, grace: &str) -> (String, String, String) {
    match action {
        "suspend" => (
            format!("Suspend {}?", c.name),
            "Calls with this credential are refused until it is enabled again.".to_owned(),
            "Yes, suspend credential".to_owned(),
        ),
        "enable" => (
            format!("Enable {}?", c.name),
            "Calls with this credential are accepted again once the data plane confirms.".to_owned(),
            "Yes, enable credential".to_owned(),
        ),
        "renew" => (
            format!("Renew {}?", c.name),
            format!(
                "A new secret replaces the current one{}.",
                match grace {
                    "none" | "" => ", which stops working at once".to_owned(),
                    g => format!("; the current one keeps working for {g}"),
                }
            ),
            "Yes, renew credential".to_owned(),
        ),
        _ => (
            format!("Delete {}?", c.name),
            "This cannot be undone: calls with this credential are refused from now on, and it is removed from the data plane.".to_owned(),
            "Yes, delete credential".to_owned(),
        ),
    }
}

async fn act(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(String, String, String)>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let c = team_credential(&state, &m, &path.1)?;
    let verb = path.2.as_str();
    let base = format!("/teams/{}/credentials/{}", m.team.id, c.id);
    let now = state.clock.now();
    if verb == "retry" {
        let cmd = crate::actors::credentials::RetryCredential {
            id: c.id,
            actor: m.who.user().id,
        };
        let (kind, message) = match state.teams.send(m.team.id, cmd).await? {
            Ok(()) => (
                FlashKind::Success,
                format!("{} is queued again for its data plane.", c.name),
            ),
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(refused) => (FlashKind::Error, refused.to_string()),
        };
        return Ok(redirect_flash(&m.who.0, &base, kind, message));
    }
    if matches!(verb, "suspend" | "enable") && !state.dataplanes.can_suspend(&c.dataplane) {
        return Ok(redirect_flash(
            &m.who.0,
            &base,
            FlashKind::Error,
            "This data plane cannot suspend credentials: delete the credential instead.",
        ));
    }
    let action = match verb {
        "suspend" => CredentialAction::Suspend,
        "enable" => CredentialAction::Enable,
        "delete" => CredentialAction::Delete,
        "renew" => {
            if !state.dataplanes.can_renew(&c.dataplane) {
                return Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    "This data plane cannot renew credentials: create a new credential instead.",
                ));
            }
            let max = state
                .config
                .dataplane(&c.dataplane)
                .map_or(Duration::ZERO, |d| d.max_renew_grace);
            let Some((_, _, secs)) = GRACES
                .iter()
                .find(|(v, _, _)| *v == f.grace || (f.grace.is_empty() && *v == "none"))
            else {
                return Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    "Choose a grace period from the list.",
                ));
            };
            if Duration::from_secs(*secs) > max {
                return Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    "This grace period is longer than the data plane allows.",
                ));
            }
            CredentialAction::Renew {
                grace_until: (*secs > 0).then(|| now.plus(Duration::from_secs(*secs))),
            }
        }
        _ => return Err(WebError::NotFound),
    };
    if f.confirmed != "yes" {
        let (heading, message, button) = question(verb, &c, &f.grace);
        let grace = if verb == "renew" {
            f.grace.clone()
        } else {
            String::new()
        };
        return page(&ConfirmPage {
            layout: Layout::new(&m.who.0, heading.clone()),
            heading,
            message,
            action: format!(
                "{base}/{verb}{}",
                if grace.is_empty() {
                    String::new()
                } else {
                    format!("?grace={grace}")
                }
            ),
            button,
            back: base,
        });
    }
    let (secret, new) = match action {
        CredentialAction::Renew { .. } => {
            let (s, n) = new_secret(&state, c.id, c.secret_version + 1, &c.dataplane);
            (s, Some(n))
        }
        _ => (None, None),
    };
    let cmd = ChangeCredential {
        id: c.id,
        action,
        secret: new,
        actor: m.who.user().id,
        provider: None,
    };
    match state.teams.send(m.team.id, cmd).await? {
        Ok(()) => match secret {
            None if matches!(action, CredentialAction::Renew { .. }) => Ok(redirect_flash(
                &m.who.0,
                &base,
                FlashKind::Success,
                format!(
                    "{} is being renewed. Its data plane makes up the new secret: view it here once done.",
                    c.name
                ),
            )),
            Some(secret) => {
                let c = state.store.credential(c.id)?.ok_or(WebError::NotFound)?;
                secret_page(&m, &c, &secret, "Your renewed credential", now)
            }
            None if action == CredentialAction::Delete => Ok(redirect_flash(
                &m.who.0,
                &format!("/teams/{}/applications/{}", m.team.id, c.application),
                FlashKind::Success,
                format!("{} is deleted: calls with it are refused.", c.name),
            )),
            None => Ok(redirect_flash(
                &m.who.0,
                &base,
                FlashKind::Success,
                format!("{} is {}.", c.name, action.verb()),
            )),
        },
        Err(TeamCommandError::Store(e)) => Err(e.into()),
        Err(refused) => Ok(redirect_flash(
            &m.who.0,
            &base,
            FlashKind::Error,
            refused.to_string(),
        )),
    }
}

#[derive(Deserialize)]
pub struct GraceQuery {
    #[serde(default)]
    grace: String,
}

/// Suspend, Enable, Renew or Delete. Without `confirmed=yes` the answer is a
/// confirm page, whose form carries the grace period in its query.
pub async fn act_on(
    state: web::Data<AppState>,
    member: TeamActing,
    path: web::Path<(String, String, String)>,
    query: web::Query<GraceQuery>,
    Form(mut f): Form<ActionForm>,
) -> PageResult {
    if f.grace.is_empty() {
        f.grace = query.into_inner().grace;
    }
    act(state, member, path, Form(f)).await
}
