//! The credential panel: its facts, the time left to view the secret, and
//! View Credential after the password (no-store, audited).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::history::{AuditRow, audit_rows};
use crate::domain::FieldError;
use crate::domain::account::Password;
use crate::domain::audit::Subject;
use crate::domain::credential::{Credential, Desired, time_left};
use crate::domain::expiry::countdown;
use crate::domain::ids::{CredentialId, TeamId};
use crate::domain::resource::CredentialType;
use crate::ops::credentials;
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::render::{FormErrors, Layout, PageResult, page, page_with_status};
use crate::web::throttle::{confirm_password, refused};

use super::credentials::secret_page;

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
    /// "waiting for data plane (attempt 2 failed, next at …)" while retrying:
    /// the same words as an access's progress on the application page.
    pub progress: String,
    pub failed: bool,
    /// After a renewal with grace: "previous secret works until … — 23 hours left".
    pub grace: String,
    /// "in 12 days", "2 days ago", or "never".
    pub expires: String,
    /// The instant itself, for the tooltip and the panel; empty: never.
    pub expires_at: String,
    /// It expires within a week (shown as a warning).
    pub expires_soon: bool,
    /// Its calls in the last 24 hours: "12", or "12 (3 refused)".
    pub calls: String,
}

/// When a credential expires, as its row and panel say it.
fn expiry_text(c: &Credential, now: crate::clock::Timestamp) -> (String, String, bool) {
    match c.expires_at {
        Some(at) if c.desired != Desired::Deleted || c.expired => (
            countdown(now, at),
            at.display(),
            !c.expired && at.as_millis() - now.as_millis() < 7 * 86_400_000,
        ),
        _ => ("never".to_owned(), String::new(), false),
    }
}

/// What a task waiting for the provider's hand asks of them.
fn by_hand(op: Option<crate::domain::credential::CredentialOp>) -> &'static str {
    use crate::domain::credential::CredentialOp as Op;
    match op {
        Some(Op::Deprovision) => "waiting for the provider to remove it by hand",
        Some(Op::Suspend) => "waiting for the provider to suspend it by hand",
        Some(Op::Enable) => "waiting for the provider to enable it by hand",
        Some(Op::Renew) => "waiting for the provider to install the new secret by hand",
        Some(Op::EndGrace) => "waiting for the provider to remove the previous secret by hand",
        Some(Op::Provision) | None => "waiting for the provider to set it up by hand",
    }
}

pub fn credential_row(state: &AppState, c: &Credential) -> Result<CredentialRow, WebError> {
    let (expires, expires_at, expires_soon) = expiry_text(c, state.clock.now());
    let last_used = match state.gateway.last_used(&c.key_id) {
        Some(known) => known,
        None => state.store.last_used(&c.key_id)?,
    };
    let day = crate::ops::usage::last_day(state, c)?;
    Ok(CredentialRow {
        calls: match day.refused() {
            0 => day.allowed().to_string(),
            refused => format!("{} ({refused} refused)", day.allowed()),
        },
        id: c.id.to_string(),
        href: format!("/teams/{}/credentials/{}", c.team, c.id),
        name: c.name.clone(),
        kind: c.kind.label(),
        key_id: match c.kind {
            CredentialType::ApiKey => c.key_id.to_string(),
            CredentialType::OauthClient => c.client_id(),
        },
        state: c.state_label(),
        state_class: match c.state_name() {
            "Active" => "state-active",
            "Pending" => "state-pending",
            "Failed" | "Deleting" | "Expired" => "state-revoked",
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
                by_hand(t.credential.as_ref().map(|w| w.op)).to_owned()
            }
            Some(t) if t.attempts > 0 => format!(
                "waiting for data plane (attempt {} failed, next at {})",
                t.attempts,
                t.next_at.display()
            ),
            Some(_) => "waiting for data plane".to_owned(),
            None => String::new(),
        },
        failed: c.failed,
        grace: grace_text(c, state.clock.now()),
        expires,
        expires_at,
        expires_soon,
    })
}

/// Until when the previous secret keeps working, while it does.
pub fn grace_text(c: &Credential, now: crate::clock::Timestamp) -> String {
    match c.grace_until {
        Some(until) if until > now && c.desired != Desired::Deleted => format!(
            "previous secret works until {} — {}",
            until.display(),
            time_left(now, until)
        ),
        _ => String::new(),
    }
}

#[derive(Template)]
#[template(path = "credentials/show.html")]
struct PanelPage {
    layout: Layout,
    base: String,
    app_href: String,
    app_name: String,
    resource_name: String,
    /// The resource's page, its product and the provider team.
    resource_href: String,
    product_name: String,
    provider_name: String,
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
    /// The lifetime policy of a renewal, in words ("At most 90 days …").
    policy: String,
    /// The lifetime field's bound: the policy's maximum, if any.
    max_days: Option<u32>,
    default_days: Option<u32>,
    expired: bool,
    history: Vec<AuditRow>,
    errors: FormErrors,
    /// Each action's dialog, in the words of its confirm page.
    confirm: Confirms,
    usage: super::usage::UsageSection,
}

/// The dialogs of the panel's actions.
struct Confirms {
    enable: String,
    suspend: String,
    delete: String,
    renew: String,
    end_grace: String,
}

impl Confirms {
    fn of(c: &Credential) -> Self {
        let say = |verb: &str| {
            let (heading, message, _) = super::credential_actions::question(verb, c);
            super::confirm::dialog((heading, message))
        };
        Self {
            enable: say("enable"),
            suspend: say("suspend"),
            delete: say("delete"),
            renew: say("renew"),
            end_grace: say("end-grace"),
        }
    }
}

fn panel(
    state: &AppState,
    m: &TeamMember,
    c: &Credential,
    errors: FormErrors,
) -> Result<PanelPage, WebError> {
    let now = state.clock.now();
    let app = state.store.application(c.application)?;
    let resource = state.store.resource(c.product, c.resource)?;
    let abilities = credentials::abilities(state, &c.dataplane);
    let policy = match state.store.access(c.access)? {
        Some(a) => credentials::policy(state, &a)?,
        None => Default::default(),
    };
    let base = format!("/teams/{}/credentials/{}", m.team.id, c.id);
    Ok(PanelPage {
        layout: Layout::new(&m.who.0, c.name.clone()),
        usage: super::usage::section(state, &base, c)?,
        base,
        app_href: format!("/teams/{}/applications/{}", m.team.id, c.application),
        app_name: app.map(|a| a.details.name).unwrap_or_default(),
        resource_name: resource.map(|r| r.spec.name).unwrap_or_default(),
        resource_href: format!("/marketplace/products/{}/resources", c.product),
        product_name: state
            .store
            .product(c.product)?
            .map(|p| p.details.name)
            .unwrap_or_default(),
        provider_name: state
            .store
            .team(c.provider)?
            .map(|t| t.name.to_string())
            .unwrap_or_default(),
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
        can_renew: abilities.renew,
        can_suspend: abilities.suspend,
        confirm: Confirms::of(c),
        graces: abilities
            .graces()
            .map(|g| (g.as_str(), g.label()))
            .collect(),
        policy: policy.to_string(),
        max_days: policy.max_days,
        default_days: policy.default_days,
        expired: c.expired,
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
    path: web::Path<(TeamId, CredentialId)>,
) -> PageResult {
    let c = credentials::team_credential(&state, m.team.id, path.1)?;
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
    req: actix_web::HttpRequest,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, CredentialId)>,
    Form(f): Form<ViewForm>,
) -> PageResult {
    let c = credentials::team_credential(&state, m.team.id, path.1)?;
    let checked = confirm_password(&state, &req, m.who.user(), Password::offered(f.password)).await;
    if let Some((status, message)) = refused(checked) {
        let errors = FormErrors::one(FieldError::new("password", message));
        return page_with_status(&panel(&state, &m, &c, errors)?, status);
    }
    match credentials::reveal(&state, &m.caller(), &c).await {
        Ok(r) => secret_page(
            &m,
            &c,
            &r.secret,
            r.made_by_plane,
            "View Credential",
            state.clock.now(),
        ),
        Err(OpError::Gone(message)) => {
            let errors = FormErrors::one(FieldError::new("password", message));
            page_with_status(
                &panel(&state, &m, &c, errors)?,
                actix_web::http::StatusCode::GONE,
            )
        }
        Err(e) => Err(e.into()),
    }
}
