//! A team's applications: the list, creating and editing one, its page with
//! the access of each resource, archiving and deleting (both confirmed).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::confirm::{ConfirmPage, Confirmed, dialog};
use super::history::{AuditRow, audit_rows};
use crate::domain::FieldError;
use crate::domain::access::{AccessRequest, Approval, Provisioning};
use crate::domain::application::Application;
use crate::domain::audit::Subject;
use crate::domain::ids::{ApplicationId, TeamId};
use crate::ops::applications::{self, AppInput};
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct AppRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub access: usize,
    pub created: String,
}

#[derive(Template)]
#[template(path = "applications/list.html")]
struct ListPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    can_act: bool,
    apps: Vec<AppRow>,
}

pub async fn list(state: web::Data<AppState>, m: TeamMember) -> PageResult {
    let mut apps = Vec::new();
    for a in state.store.applications_of(m.team.id)? {
        let access = state
            .store
            .accesses_of_app(a.id)?
            .iter()
            .filter(|x| x.approval == Approval::Approved)
            .count();
        apps.push(AppRow {
            id: a.id.to_string(),
            archived: a.is_archived(),
            created: a.created_at.display(),
            name: a.details.name,
            description: a.details.description,
            access,
        });
    }
    page(&ListPage {
        layout: Layout::new(&m.who.0, format!("Applications of {}", m.team.name)),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        can_act: m.role.can_act(),
        apps,
    })
}

#[derive(Template)]
#[template(path = "applications/form.html")]
struct FormPage {
    layout: Layout,
    team_id: String,
    app_id: Option<String>,
    name: String,
    description: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct AppFields {
    #[serde(flatten)]
    input: AppInput,
    #[serde(default)]
    request_id: String,
}

fn form_page(m: &TeamMember, app_id: Option<String>, f: AppFields, errors: FormErrors) -> FormPage {
    let title = if app_id.is_some() {
        "Edit application"
    } else {
        "New application"
    };
    FormPage {
        layout: Layout::new(&m.who.0, title),
        team_id: m.team.id.to_string(),
        app_id,
        name: f.input.name,
        description: f.input.description,
        errors,
    }
}

pub async fn new_form(TeamActing(m): TeamActing) -> PageResult {
    page(&form_page(
        &m,
        None,
        AppFields::default(),
        FormErrors::default(),
    ))
}

pub async fn edit_form(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId)>,
) -> PageResult {
    let app = applications::team_app(&state, m.team.id, path.1)?;
    let f = AppFields {
        input: AppInput {
            name: app.details.name,
            description: app.details.description,
        },
        request_id: String::new(),
    };
    page(&form_page(
        &m,
        Some(app.id.to_string()),
        f,
        FormErrors::default(),
    ))
}

async fn save(
    state: &AppState,
    m: &TeamMember,
    existing: Option<ApplicationId>,
    f: AppFields,
) -> PageResult {
    let errors = match applications::save(state, &m.caller(), existing, &f.input).await {
        Ok(app) => {
            return Ok(redirect_flash(
                &m.who.0,
                &format!("/teams/{}/applications/{}", m.team.id, app.id),
                FlashKind::Success,
                "The application is saved.",
            ));
        }
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => FormErrors::one(FieldError::new("name", message_of(e)?)),
    };
    form_again(&form_page(m, existing.map(|id| id.to_string()), f, errors))
}

pub async fn create(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    Form(f): Form<AppFields>,
) -> PageResult {
    let request_id = f.request_id.clone();
    guarded(&state, m.who.user().id, &request_id, || {
        save(&state, &m, None, f)
    })
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId)>,
    Form(f): Form<AppFields>,
) -> PageResult {
    let app = applications::team_app(&state, m.team.id, path.1)?;
    save(&state, &m, Some(app.id), f).await
}

/// One access request as the pages show it.
pub struct AccessRow {
    pub id: String,
    pub name: String,
    pub app_id: String,
    pub app: String,
    pub product_id: String,
    pub product: String,
    pub resource: String,
    pub plan: String,
    pub team: String,
    pub dataplane: String,
    pub approval: &'static str,
    pub provisioning: &'static str,
    /// What a person reads for the provisioning state ("not yet" for none).
    pub provisioning_label: &'static str,
    pub team_id: String,
    /// "Provisioning… (attempt 2, next at …)" and the like.
    pub progress: String,
    pub requested: String,
    pub decided: String,
    pub provisioned: String,
    pub reason: String,
    pub error: String,
    pub values: Vec<(String, String)>,
}

pub fn access_row(state: &AppState, a: &AccessRequest) -> Result<AccessRow, WebError> {
    let store = &state.store;
    let product = store.product(a.product)?;
    let resource = store.resource(a.product, a.resource)?;
    let plan = store.plan(a.product, a.plan)?;
    let app = store.application(a.application)?;
    let team = store.team(a.team)?;
    let task = a.task.map(|t| store.task(t)).transpose()?.flatten();
    let progress = match (a.provisioning, &task) {
        (Provisioning::Pending, Some(t))
            if t.state == crate::domain::outbox::TaskState::Waiting =>
        {
            if t.op_name() == "revoke" {
                "waiting for the provider to remove it by hand".to_owned()
            } else {
                "waiting for the provider to set it up by hand".to_owned()
            }
        }
        (Provisioning::Pending, Some(t)) if t.attempts > 0 => format!(
            "waiting for data plane (attempt {} failed, next at {})",
            t.attempts,
            t.next_at.display()
        ),
        (Provisioning::Pending, _) => "waiting for data plane".to_owned(),
        _ => String::new(),
    };
    let labels: Vec<(String, String)> = resource
        .as_ref()
        .map(|r| {
            r.spec
                .fields
                .iter()
                .filter_map(|f| a.values.get(&f.name).map(|v| (f.label.clone(), v.clone())))
                .collect()
        })
        .unwrap_or_default();
    Ok(AccessRow {
        id: a.id.to_string(),
        name: a.name.clone(),
        app_id: a.application.to_string(),
        app: app
            .map(|x| x.details.name)
            .unwrap_or_else(|| "a deleted application".to_owned()),
        product_id: a.product.to_string(),
        product: product.map(|p| p.details.name).unwrap_or_default(),
        resource: resource.map(|r| r.spec.name).unwrap_or_default(),
        plan: plan.map(|p| p.spec.name).unwrap_or_default(),
        team: team.map(|t| t.name.to_string()).unwrap_or_default(),
        dataplane: a.dataplane.clone(),
        approval: a.approval.as_str(),
        provisioning: a.provisioning.as_str(),
        provisioning_label: match a.provisioning {
            crate::domain::access::Provisioning::None => "not yet",
            other => other.as_str(),
        },
        team_id: a.team.to_string(),
        progress,
        requested: a.created_at.display(),
        decided: a.decided_at.map(|t| t.display()).unwrap_or_default(),
        provisioned: a.provisioned_at.map(|t| t.display()).unwrap_or_default(),
        reason: a.reason.clone().unwrap_or_default(),
        error: a.last_error.clone().unwrap_or_default(),
        values: labels,
    })
}

/// The credentials of one access, with the way to create more.
pub struct CredentialSection {
    pub title: String,
    pub create_href: Option<String>,
    pub rows: Vec<super::credentials::CredentialRow>,
}

#[derive(Template)]
#[template(path = "applications/show.html")]
struct ShowPage {
    /// The archive and delete dialogs' words, the same as their confirm pages'.
    confirm_archive: String,
    confirm_delete: String,
    credentials: Vec<CredentialSection>,
    layout: Layout,
    team_id: String,
    team_name: String,
    app_id: String,
    name: String,
    description: String,
    archived: bool,
    can_act: bool,
    access: Vec<AccessRow>,
    history: Vec<AuditRow>,
}

pub async fn show(
    state: web::Data<AppState>,
    m: TeamMember,
    path: web::Path<(TeamId, ApplicationId)>,
) -> PageResult {
    let app = applications::team_app(&state, m.team.id, path.1)?;
    let mut access = Vec::new();
    let mut credentials = Vec::new();
    let all = state.store.credentials_of_app(app.id)?;
    for a in state.store.accesses_of_app(app.id)?.iter().rev() {
        let row = access_row(&state, a)?;
        let mine: Vec<_> = all.iter().filter(|c| c.access == a.id).collect();
        let open = super::credentials::can_create(a) && !app.is_archived();
        if open || !mine.is_empty() {
            credentials.push(CredentialSection {
                title: format!("{} – {}", row.product, row.resource),
                create_href: (open && m.role.can_act()).then(|| {
                    format!(
                        "/teams/{}/applications/{}/access/{}/credentials/new",
                        m.team.id, app.id, a.id
                    )
                }),
                rows: mine
                    .into_iter()
                    .map(|c| super::credentials::credential_row(&state, c))
                    .collect::<Result<_, _>>()?,
            });
        }
        access.push(row);
    }
    let history = audit_rows(
        &state.store,
        state
            .store
            .subject_audit(Subject::Application(app.id), 30)?,
    )?;
    page(&ShowPage {
        confirm_archive: dialog(app_question(&app.details.name, true)),
        confirm_delete: dialog(app_question(&app.details.name, false)),
        layout: Layout::new(&m.who.0, app.details.name.clone()),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        app_id: app.id.to_string(),
        archived: app.is_archived(),
        can_act: m.role.can_act(),
        name: app.details.name,
        description: app.details.description,
        access,
        credentials,
        history,
    })
}

async fn change(state: &AppState, m: &TeamMember, app: &Application, archive: bool) -> PageResult {
    let caller = m.caller();
    let result = if archive {
        applications::archive(state, &caller, app).await
    } else {
        applications::delete(state, &caller, app).await
    };
    let page_of_app = format!("/teams/{}/applications/{}", m.team.id, app.id);
    let (to, kind, message) = match result {
        Ok(()) if archive => (
            page_of_app,
            FlashKind::Success,
            format!(
                "{} is archived; its access is being removed from the data plane.",
                app.details.name
            ),
        ),
        Ok(()) => (
            format!("/teams/{}/applications", m.team.id),
            FlashKind::Success,
            format!("{} is deleted.", app.details.name),
        ),
        Err(e) => (page_of_app, FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&m.who.0, &to, kind, message))
}

/// What archiving or deleting an application asks: the words of both the
/// JavaScript dialog and the confirm page shown without it.
pub fn app_question(name: &str, archive: bool) -> (String, String) {
    if archive {
        (
            format!("Archive {name}?"),
            "Its access to every resource is revoked and removed from the data planes. An archived application can then be deleted.".to_owned(),
        )
    } else {
        (
            format!("Delete {name}?"),
            "The application and its access requests are deleted for good. The team's activity keeps a record.".to_owned(),
        )
    }
}

/// Archive or delete after confirmation: without `confirmed=yes`, the confirm page.
async fn confirmed_change(
    state: &AppState,
    m: &TeamMember,
    id: ApplicationId,
    confirmed: &str,
    archive: bool,
) -> PageResult {
    let app = applications::team_app(state, m.team.id, id)?;
    if confirmed != "yes" {
        let back = format!("/teams/{}/applications/{}", m.team.id, app.id);
        let (verb, title) = if archive {
            ("archive", "Archive application")
        } else {
            ("delete", "Delete application")
        };
        let (heading, message) = app_question(&app.details.name, archive);
        return page(&ConfirmPage {
            layout: Layout::new(&m.who.0, title),
            heading,
            message,
            action: format!("{back}/{verb}"),
            button: format!("Yes, {verb} {}", app.details.name),
            back,
            request_id: String::new(),
            carry: Vec::new(),
        });
    }
    change(state, m, &app, archive).await
}

pub async fn archive(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId)>,
    Form(f): Form<Confirmed>,
) -> PageResult {
    confirmed_change(&state, &m, path.1, &f.confirmed, true).await
}

pub async fn delete(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId)>,
    Form(f): Form<Confirmed>,
) -> PageResult {
    confirmed_change(&state, &m, path.1, &f.confirmed, false).await
}
