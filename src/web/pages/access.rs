//! Request Access: the form reached from a product's Resources tab or from
//! an application, and tracking access from the product side.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::scoped::visible_product;
use crate::domain::FieldError;
use crate::domain::access::{AccessRequest, Approval};
use crate::domain::ids::{ProductId, ResourceId};
use crate::domain::product::Product;
use crate::domain::request_fields::{FieldKind, RequestField};
use crate::domain::resource::Resource;
use crate::domain::subscription::SubscriptionState;
use crate::domain::team::Team;
use crate::ops::access::AccessInput;
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::SignedIn;
use crate::web::flash::FlashKind;
use crate::web::form::Pairs;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub use super::access_views::{choose, resource_access, resource_credentials};

/// A choice in a select: value, label, and the team it belongs to.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub team: Team,
}

/// Active subscriptions of the visitor's acting teams whose plan includes the resource.
fn subscription_choices(
    state: &AppState,
    teams: &[Team],
    r: &Resource,
) -> Result<Vec<Choice>, WebError> {
    let mut out = Vec::new();
    for team in teams {
        for s in state.store.subscriptions_of_team(team.id)? {
            if s.state != SubscriptionState::Active || s.product != r.product {
                continue;
            }
            let Some(plan) = state.store.plan(s.product, s.plan)? else {
                continue;
            };
            if plan.spec.resources.contains(&r.id) {
                let label = if teams.len() > 1 {
                    format!("{} – {} plan", team.name, plan.spec.name)
                } else {
                    format!("{} plan", plan.spec.name)
                };
                out.push(Choice {
                    value: s.id.to_string(),
                    label,
                    team: team.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn application_choices(state: &AppState, teams: &[Team]) -> Result<Vec<Choice>, WebError> {
    let mut out = Vec::new();
    for team in teams {
        for a in state.store.applications_of(team.id)? {
            if a.is_archived() {
                continue;
            }
            let label = if teams.len() > 1 {
                format!("{} – {}", team.name, a.details.name)
            } else {
                a.details.name.clone()
            };
            out.push(Choice {
                value: a.id.to_string(),
                label,
                team: team.clone(),
            });
        }
    }
    Ok(out)
}

pub struct FieldView {
    pub field: RequestField,
    pub value: String,
    pub error: Option<String>,
    pub is_text: bool,
    pub is_select: bool,
    pub is_checkbox: bool,
}

#[derive(Template)]
#[template(path = "access/request.html")]
struct RequestPage {
    layout: Layout,
    product_id: String,
    resource_id: String,
    resource_name: String,
    name: String,
    auto_name: String,
    /// Subscriptions: id, label, team (so JavaScript can narrow the list).
    subscriptions: Vec<(String, String, String)>,
    subscription: String,
    /// Applications: id, label, team, and the name a request for it gets.
    applications: Vec<(String, String, String, String)>,
    application: String,
    /// The one team the form is narrowed to (opened from its application), or "".
    scope: String,
    /// Where the back link leads: the page the person came from.
    back: String,
    back_label: String,
    fields: Vec<FieldView>,
    teams: Vec<(String, String)>,
    errors: FormErrors,
}

pub(super) fn target(
    state: &AppState,
    who: &SignedIn,
    path: &(ProductId, ResourceId),
) -> Result<(Product, Resource), WebError> {
    let p = visible_product(state, who, path.0)?;
    let r = state
        .store
        .resource(p.id, path.1)?
        .ok_or(WebError::NotFound)?;
    Ok((p, r))
}

fn auto_name(apps: &[Choice], chosen: &str, r: &Resource) -> String {
    apps.iter()
        .find(|a| a.value == chosen)
        .map(|a| {
            let app = a.label.rsplit(" – ").next().unwrap_or(&a.label);
            format!("{app} – {}", r.spec.name)
        })
        .unwrap_or_default()
}

struct Typed {
    name: String,
    subscription: String,
    application: String,
    values: BTreeMap<String, String>,
    /// Narrowed to this team's subscriptions and applications ("" for all).
    scope: String,
    /// The page the person came from (a path on this site), or "".
    from: String,
}

/// The visitor's acting teams, or only the one `scope` names.
fn scoped(who: &SignedIn, scope: &str) -> Vec<Team> {
    let teams = who.acting_teams();
    match teams.iter().find(|t| t.id.to_string() == scope) {
        Some(t) => vec![t.clone()],
        None => teams,
    }
}

fn request_page(
    state: &AppState,
    who: &SignedIn,
    p: &Product,
    r: &Resource,
    typed: Typed,
    value_errors: BTreeMap<String, String>,
    errors: FormErrors,
) -> Result<RequestPage, WebError> {
    let teams = scoped(who, &typed.scope);
    let subs = subscription_choices(state, &teams, r)?;
    let apps = application_choices(state, &teams)?;
    let auto = auto_name(&apps, &typed.application, r);
    let resources = format!("/marketplace/products/{}/resources", p.id);
    let back = match crate::web::safe_next(&typed.from) {
        "/" => resources.clone(),
        from => from.to_owned(),
    };
    let back_label = if back == resources {
        format!("{}: resources", p.details.name)
    } else {
        "Back".to_owned()
    };
    let fields = r
        .spec
        .fields
        .iter()
        .map(|f| FieldView {
            value: typed.values.get(&f.name).cloned().unwrap_or_default(),
            error: value_errors.get(&f.name).cloned(),
            is_text: matches!(f.kind, FieldKind::Text | FieldKind::Number),
            is_select: f.kind == FieldKind::Select,
            is_checkbox: f.kind == FieldKind::Checkbox,
            field: f.clone(),
        })
        .collect();
    Ok(RequestPage {
        layout: Layout::new(&who.0, format!("Request access to {}", r.spec.name)),
        product_id: p.id.to_string(),
        resource_id: r.id.to_string(),
        resource_name: r.spec.name.clone(),
        name: if typed.name.is_empty() {
            auto.clone()
        } else {
            typed.name
        },
        auto_name: auto,
        subscriptions: subs
            .into_iter()
            .map(|c| (c.value, c.label, c.team.id.to_string()))
            .collect(),
        subscription: typed.subscription,
        applications: apps
            .iter()
            .map(|c| {
                let auto = auto_name(&apps, &c.value, r);
                (
                    c.value.clone(),
                    c.label.clone(),
                    c.team.id.to_string(),
                    auto,
                )
            })
            .collect(),
        application: typed.application,
        scope: typed.scope,
        back,
        back_label,
        fields,
        teams: teams
            .iter()
            .map(|t| (t.id.to_string(), t.name.to_string()))
            .collect(),
        errors,
    })
}

#[derive(Deserialize)]
pub struct Preselect {
    #[serde(default)]
    application: String,
    #[serde(default)]
    subscription: String,
    /// The page the person came from, for the back link.
    #[serde(default)]
    from: String,
}

pub async fn form(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, ResourceId)>,
    query: web::Query<Preselect>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    // Opened for one application: only its team's subscriptions and applications.
    let scope = application_choices(&state, &who.acting_teams())?
        .into_iter()
        .find(|c| c.value == query.application)
        .map(|c| c.team.id.to_string())
        .unwrap_or_default();
    let teams = scoped(&who, &scope);
    let subs = subscription_choices(&state, &teams, &r)?;
    let apps = application_choices(&state, &teams)?;
    let pick = |choices: &[Choice], wanted: &str| {
        choices
            .iter()
            .find(|c| c.value == wanted)
            .or(choices.first())
            .map(|c| c.value.clone())
            .unwrap_or_default()
    };
    let typed = Typed {
        name: String::new(),
        subscription: pick(&subs, &query.subscription),
        application: pick(&apps, &query.application),
        values: BTreeMap::new(),
        scope,
        from: query.from.clone(),
    };
    page(&request_page(
        &state,
        &who,
        &p,
        &r,
        typed,
        BTreeMap::new(),
        FormErrors::default(),
    )?)
}

/// Request Access, under the double-submit guard.
pub async fn submit(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, ResourceId)>,
    Form(f): Form<Pairs>,
) -> PageResult {
    let request_id = f.get("request_id").to_owned();
    let user = who.user().id;
    guarded(&state, user, &request_id, || {
        request(state.clone(), who, path, f)
    })
    .await
}

async fn request(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, ResourceId)>,
    f: Pairs,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    // The server's check stays whatever the form narrowed: every acting team.
    let teams = who.acting_teams();
    let subs = subscription_choices(&state, &teams, &r)?;
    let apps = application_choices(&state, &teams)?;
    let sent: BTreeMap<String, String> = r
        .spec
        .fields
        .iter()
        .filter(|field| f.has(&format!("x_{}", field.name)))
        .map(|field| {
            (
                field.name.clone(),
                f.get(&format!("x_{}", field.name)).to_owned(),
            )
        })
        .collect();
    let typed = Typed {
        name: f.get("name").trim().to_owned(),
        subscription: f.get("subscription").to_owned(),
        application: f.get("application").to_owned(),
        values: sent.clone(),
        scope: f.get("team").to_owned(),
        from: f.get("from").to_owned(),
    };
    let sub = subs.iter().find(|c| c.value == typed.subscription);
    let app = apps.iter().find(|c| c.value == typed.application);
    // The team acting is the chosen application's (or else the subscription's).
    let team = app
        .or(sub)
        .map(|c| c.team.id)
        .or(teams.first().map(|t| t.id));
    let Some(caller) = team.and_then(|t| who.caller_in(t)) else {
        // No team where this visitor may act (a viewer): nothing to choose.
        let mut errors = FormErrors::default();
        errors.add(FieldError::new(
            "subscription",
            "Choose an active subscription of your team whose plan includes this resource.",
        ));
        errors.add(FieldError::new(
            "application",
            "Choose one of your team's applications.",
        ));
        return form_again(&request_page(
            &state,
            &who,
            &p,
            &r,
            typed,
            BTreeMap::new(),
            errors,
        )?);
    };
    // An untouched name follows the chosen application.
    let name = if typed.name == f.get("auto_name") {
        String::new()
    } else {
        typed.name.clone()
    };
    let input = AccessInput {
        application: app.and_then(|a| a.value.parse().ok()),
        subscription: sub.and_then(|s| s.value.parse().ok()),
        name,
        values: sent,
    };
    let (errors, by_field) =
        match crate::ops::access::request(&state, &caller, &p, &r, &input).await {
            Ok(access) => return Ok(requested(&who, &r, &access)),
            Err(OpError::Invalid(fields)) => (FormErrors::from(fields), BTreeMap::new()),
            Err(OpError::InvalidValues { errors, by_field }) => {
                let mut errors = FormErrors::from(errors);
                errors.add(FieldError::new(
                    "fields",
                    "Some fields need attention: see the messages beside them.",
                ));
                (errors, by_field)
            }
            Err(e) => (
                FormErrors::one(FieldError::new("application", message_of(e)?)),
                BTreeMap::new(),
            ),
        };
    form_again(&request_page(
        &state, &who, &p, &r, typed, by_field, errors,
    )?)
}

/// Where a new request leads: straight on to Create Credential when
/// approved at once, else to the application's page.
fn requested(who: &SignedIn, r: &Resource, access: &AccessRequest) -> HttpResponse {
    let (team, app, id) = (access.team, access.application, access.id);
    if access.approval == Approval::Approved {
        return redirect_flash(
            &who.0,
            &format!("/teams/{team}/applications/{app}/access/{id}/credentials/new"),
            FlashKind::Success,
            format!(
                "Access to {} is approved and being provisioned on the {} data plane. Create a credential to call it.",
                r.spec.name, r.spec.dataplane
            ),
        );
    }
    redirect_flash(
        &who.0,
        &format!("/teams/{team}/applications/{app}#access-{id}"),
        FlashKind::Success,
        format!(
            "Access to {} is requested. The provider decides; the state shows here.",
            r.spec.name
        ),
    )
}
