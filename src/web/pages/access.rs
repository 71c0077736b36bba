//! Request Access: the form reached from a product's Resources tab or from
//! an application, and tracking access from the product side.

use std::collections::BTreeMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::applications::{AccessRow, access_row, team_app};
use super::marketplace::visible_product;
use crate::actors::access::RequestAccess;
use crate::actors::team::TeamCommandError;
use crate::domain::FieldError;
use crate::domain::access::Approval;
use crate::domain::account::parse_short_name;
use crate::domain::ids::{AccessId, ApplicationId, ResourceId, SubscriptionId};
use crate::domain::product::Product;
use crate::domain::request_fields::{FieldKind, RequestField, check_values};
use crate::domain::resource::Resource;
use crate::domain::subscription::SubscriptionState;
use crate::domain::team::Team;
use crate::web::AppState;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::{SignedIn, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::form::Pairs;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

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
    product_name: String,
    resource_id: String,
    resource_name: String,
    name: String,
    auto_name: String,
    subscriptions: Vec<(String, String)>,
    subscription: String,
    applications: Vec<(String, String)>,
    application: String,
    fields: Vec<FieldView>,
    teams: Vec<(String, String)>,
    errors: FormErrors,
}

fn target(
    state: &AppState,
    who: &SignedIn,
    path: &(String, String),
) -> Result<(Product, Resource), WebError> {
    let p = visible_product(state, who, &path.0)?;
    let id: ResourceId = path.1.parse().map_err(|_| WebError::NotFound)?;
    let r = state.store.resource(p.id, id)?.ok_or(WebError::NotFound)?;
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
    let teams = who.acting_teams();
    let subs = subscription_choices(state, &teams, r)?;
    let apps = application_choices(state, &teams)?;
    let auto = auto_name(&apps, &typed.application, r);
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
        product_name: p.details.name.clone(),
        resource_id: r.id.to_string(),
        resource_name: r.spec.name.clone(),
        name: if typed.name.is_empty() {
            auto.clone()
        } else {
            typed.name
        },
        auto_name: auto,
        subscriptions: subs.into_iter().map(|c| (c.value, c.label)).collect(),
        subscription: typed.subscription,
        applications: apps.into_iter().map(|c| (c.value, c.label)).collect(),
        application: typed.application,
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
}

pub async fn form(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<Preselect>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    let teams = who.acting_teams();
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

pub async fn submit(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
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
    };
    let mut errors = FormErrors::default();
    let sub = subs.iter().find(|c| c.value == typed.subscription);
    let app = apps.iter().find(|c| c.value == typed.application);
    if sub.is_none() {
        errors.add(FieldError::new(
            "subscription",
            "Choose an active subscription of your team whose plan includes this resource.",
        ));
    }
    if app.is_none() {
        errors.add(FieldError::new(
            "application",
            "Choose one of your team's applications.",
        ));
    }
    if let (Some(s), Some(a)) = (sub, app)
        && s.team.id != a.team.id
    {
        errors.add(FieldError::new(
            "application",
            format!(
                "The subscription belongs to {} and the application to {}: they must belong to the same team.",
                s.team.name, a.team.name
            ),
        ));
    }
    // An untouched name follows the chosen application.
    let name = if typed.name.is_empty() || typed.name == f.get("auto_name") {
        auto_name(&apps, &typed.application, &r)
    } else {
        typed.name.clone()
    };
    let name = if name.is_empty() {
        None
    } else {
        errors.check(parse_short_name(&name, "name", 120))
    };
    let values = match check_values(&r.spec.fields, &sent) {
        Ok(v) => Some(v),
        Err(by_field) => {
            errors.add(FieldError::new(
                "fields",
                "Some fields need attention: see the messages beside them.",
            ));
            let typed_again = Typed {
                name: typed.name.clone(),
                ..typed
            };
            return form_again(&request_page(
                &state,
                &who,
                &p,
                &r,
                typed_again,
                by_field,
                errors,
            )?);
        }
    };
    if let (Some(s), Some(a), Some(name), Some(values), true) =
        (sub, app, name, values, errors.is_empty())
    {
        let id = AccessId::generate(state.clock.now());
        let cmd = RequestAccess {
            id,
            application: a
                .value
                .parse::<ApplicationId>()
                .map_err(|_| WebError::NotFound)?,
            product: p.id,
            resource: r.id,
            subscription: s
                .value
                .parse::<SubscriptionId>()
                .map_err(|_| WebError::NotFound)?,
            name,
            values,
            actor: who.user().id,
        };
        let team = a.team.id;
        match state.teams.send(team, cmd).await? {
            Ok(()) => {
                let access = state.store.access(id)?.ok_or(WebError::NotFound)?;
                if access.approval == Approval::Approved {
                    // Approved at once: straight on to Create Credential.
                    return Ok(redirect_flash(
                        &who.0,
                        &format!(
                            "/teams/{team}/applications/{}/access/{id}/credentials/new",
                            a.value
                        ),
                        FlashKind::Success,
                        format!(
                            "Access to {} is approved and being provisioned on the {} data plane. Create a credential to call it.",
                            r.spec.name, r.spec.dataplane
                        ),
                    ));
                }
                let message = {
                    format!(
                        "Access to {} is requested. The provider decides; the state shows here.",
                        r.spec.name
                    )
                };
                return Ok(redirect_flash(
                    &who.0,
                    &format!("/teams/{team}/applications/{}#access-{id}", a.value),
                    FlashKind::Success,
                    message,
                ));
            }
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(refused) => errors.add(FieldError::new("application", refused.to_string())),
        }
    }
    form_again(&request_page(
        &state,
        &who,
        &p,
        &r,
        typed,
        BTreeMap::new(),
        errors,
    )?)
}

#[derive(Template)]
#[template(path = "access/resource.html")]
struct ResourceAccessPage {
    layout: Layout,
    product_id: String,
    product_name: String,
    resource_id: String,
    resource_name: String,
    access: Vec<AccessRow>,
}

/// Resources → a resource → Access: the visitor's teams' applications and their state.
pub async fn resource_access(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    let mine: Vec<_> = who
        .0
        .user
        .as_ref()
        .map(|u| u.teams.iter().map(|(t, _)| t.id).collect())
        .unwrap_or_default();
    let mut access = Vec::new();
    for a in state.store.accesses_of_resource(r.id)?.iter().rev() {
        if mine.contains(&a.team) {
            access.push(access_row(&state, a)?);
        }
    }
    page(&ResourceAccessPage {
        layout: Layout::new(&who.0, format!("Access to {}", r.spec.name)),
        product_id: p.id.to_string(),
        product_name: p.details.name,
        resource_id: r.id.to_string(),
        resource_name: r.spec.name,
        access,
    })
}

pub struct Offer {
    pub product_id: String,
    pub product: String,
    pub plan: String,
    pub resource_id: String,
    pub resource: String,
    pub subscription: String,
}

#[derive(Template)]
#[template(path = "access/choose.html")]
struct ChoosePage {
    layout: Layout,
    team_id: String,
    app_id: String,
    app_name: String,
    offers: Vec<Offer>,
}

/// From an application: the resources its team's active subscriptions include.
pub async fn choose(
    state: web::Data<AppState>,
    m: TeamMember,
    path: web::Path<(String, String)>,
) -> PageResult {
    let app = team_app(&state, &m, &path.1)?;
    let mut offers = Vec::new();
    for s in state.store.subscriptions_of_team(m.team.id)? {
        if s.state != SubscriptionState::Active {
            continue;
        }
        let (Some(product), Some(plan)) = (
            state.store.product(s.product)?,
            state.store.plan(s.product, s.plan)?,
        ) else {
            continue;
        };
        for r in state.store.resources(s.product)? {
            if plan.spec.resources.contains(&r.id) {
                offers.push(Offer {
                    product_id: product.id.to_string(),
                    product: product.details.name.clone(),
                    plan: plan.spec.name.clone(),
                    resource_id: r.id.to_string(),
                    resource: r.spec.name,
                    subscription: s.id.to_string(),
                });
            }
        }
    }
    page(&ChoosePage {
        layout: Layout::new(&m.who.0, format!("Request access for {}", app.details.name)),
        team_id: m.team.id.to_string(),
        app_id: app.id.to_string(),
        app_name: app.details.name,
        offers,
    })
}

pub struct AppCredentials {
    pub title: String,
    pub create_href: Option<String>,
    pub rows: Vec<super::credentials::CredentialRow>,
}

#[derive(Template)]
#[template(path = "access/credentials.html")]
struct ResourceCredentialsPage {
    layout: Layout,
    product_id: String,
    product_name: String,
    resource_id: String,
    resource_name: String,
    sections: Vec<AppCredentials>,
}

/// Resources → a resource → Credentials: per application of the visitor's
/// teams with access, its credentials and Create Credential.
pub async fn resource_credentials(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    let teams: Vec<(crate::domain::ids::TeamId, bool)> = who
        .0
        .user
        .as_ref()
        .map(|u| {
            u.teams
                .iter()
                .map(|(t, role)| (t.id, role.can_act()))
                .collect()
        })
        .unwrap_or_default();
    let all = state.store.credentials_of_resource(r.id)?;
    let mut sections = Vec::new();
    for a in state.store.accesses_of_resource(r.id)? {
        let Some((_, can_act)) = teams.iter().find(|(t, _)| *t == a.team) else {
            continue;
        };
        let open = super::credentials::can_create(&a);
        let mine: Vec<_> = all.iter().filter(|c| c.access == a.id).collect();
        if !open && mine.is_empty() {
            continue;
        }
        let row = super::applications::access_row(&state, &a)?;
        sections.push(AppCredentials {
            title: format!("{} – {}", row.team, row.app),
            create_href: (open && *can_act).then(|| {
                format!(
                    "/teams/{}/applications/{}/access/{}/credentials/new",
                    a.team, a.application, a.id
                )
            }),
            rows: mine
                .into_iter()
                .map(|c| super::credentials::credential_row(&state, c))
                .collect::<Result<_, _>>()?,
        });
    }
    page(&ResourceCredentialsPage {
        layout: Layout::new(&who.0, format!("Credentials for {}", r.spec.name)),
        product_id: p.id.to_string(),
        product_name: p.details.name,
        resource_id: r.id.to_string(),
        resource_name: r.spec.name,
        sections,
    })
}
