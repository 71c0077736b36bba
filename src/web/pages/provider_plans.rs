//! Adding and editing a product's usage plans.

use actix_web::web;
use askama::Template;

use super::expiry_fields::ExpiryFields;
use super::scoped::own_product;
use crate::domain::ids::{PlanId, ProductId, TeamId};
use crate::domain::product::Product;
use crate::ops::catalog::{self, PlanInput};
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{ProviderMember, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::form::Pairs;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct ResourceChoice {
    pub id: String,
    pub name: String,
    pub route: String,
    pub ticked: bool,
}

#[derive(Template)]
#[template(path = "provider/plan_form.html")]
struct PlanForm {
    layout: Layout,
    team_id: String,
    product_id: String,
    product_name: String,
    /// `None` while adding.
    plan_id: Option<String>,
    name: String,
    description: String,
    resources: Vec<ResourceChoice>,
    per_minute: String,
    per_day: String,
    approval: String,
    expiry: ExpiryFields,
    errors: FormErrors,
}

struct Input {
    name: String,
    description: String,
    resources: Vec<String>,
    per_minute: String,
    per_day: String,
    approval: String,
    expiry: ExpiryFields,
}

fn form_page(
    state: &AppState,
    m: &TeamMember,
    p: &Product,
    plan_id: Option<PlanId>,
    input: Input,
    errors: FormErrors,
) -> Result<PlanForm, WebError> {
    let resources = state
        .store
        .resources(p.id)?
        .into_iter()
        .map(|r| ResourceChoice {
            ticked: input.resources.contains(&r.id.to_string()),
            id: r.id.to_string(),
            route: r.spec.route.to_string(),
            name: r.spec.name,
        })
        .collect();
    let title = match plan_id {
        Some(_) => format!("Edit plan {}", input.name),
        None => format!("Add a plan to {}", p.details.name),
    };
    Ok(PlanForm {
        layout: Layout::new(&m.who.0, title),
        team_id: m.team.id.to_string(),
        product_id: p.id.to_string(),
        product_name: p.details.name.clone(),
        plan_id: plan_id.map(|id| id.to_string()),
        name: input.name,
        description: input.description,
        resources,
        per_minute: input.per_minute,
        per_day: input.per_day,
        approval: input.approval,
        expiry: input.expiry,
        errors,
    })
}

pub async fn new_form(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    // A new plan starts with every resource included.
    let resources = state
        .store
        .resources(p.id)?
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    let input = Input {
        name: String::new(),
        description: String::new(),
        resources,
        per_minute: String::new(),
        per_day: String::new(),
        approval: "automatic".to_owned(),
        expiry: ExpiryFields::of(None),
    };
    page(&form_page(
        &state,
        &m,
        &p,
        None,
        input,
        FormErrors::default(),
    )?)
}

pub async fn edit_form(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId, PlanId)>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let plan = state.store.plan(p.id, path.2)?.ok_or(WebError::NotFound)?;
    let s = plan.spec;
    let input = Input {
        name: s.name,
        description: s.description,
        resources: s.resources.iter().map(|r| r.to_string()).collect(),
        per_minute: s
            .quota
            .per_minute
            .map(|n| n.to_string())
            .unwrap_or_default(),
        per_day: s.quota.per_day.map(|n| n.to_string()).unwrap_or_default(),
        approval: s.approval.as_str().to_owned(),
        expiry: ExpiryFields::of(Some(&s.expiry)),
    };
    page(&form_page(
        &state,
        &m,
        &p,
        Some(plan.id),
        input,
        FormErrors::default(),
    )?)
}

async fn save(
    state: &AppState,
    m: &TeamMember,
    p: &Product,
    existing: Option<PlanId>,
    f: Pairs,
) -> PageResult {
    let input = Input {
        name: f.get("name").to_owned(),
        description: f.get("description").to_owned(),
        resources: f.all("resources"),
        per_minute: f.get("per_minute").to_owned(),
        per_day: f.get("per_day").to_owned(),
        approval: f.get("approval").to_owned(),
        expiry: ExpiryFields::read(&f),
    };
    let plan_input = PlanInput {
        name: input.name.clone(),
        description: input.description.clone(),
        resources: input.resources.clone(),
        per_minute: input.per_minute.clone(),
        per_day: input.per_day.clone(),
        approval: input.approval.clone(),
        max_days: input.expiry.max_days.clone(),
        default_days: input.expiry.default_days.clone(),
        at_expiry: input.expiry.at_expiry.clone(),
    };
    let errors = match catalog::save_plan(state, &m.caller(), p, existing, &plan_input).await {
        Ok(plan) => {
            return Ok(redirect_flash(
                &m.who.0,
                &format!("/provider/{}/products/{}", m.team.id, p.id),
                FlashKind::Success,
                format!("The plan {} is saved.", plan.spec.name),
            ));
        }
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => {
            return Ok(redirect_flash(
                &m.who.0,
                &format!("/provider/{}/products/{}", m.team.id, p.id),
                FlashKind::Error,
                message_of(e)?,
            ));
        }
    };
    form_again(&form_page(state, m, p, existing, input, errors)?)
}

pub async fn create(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
    Form(f): Form<Pairs>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let request_id = f.get("request_id").to_owned();
    guarded(&state, m.who.user().id, &request_id, || {
        save(&state, &m, &p, None, f)
    })
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId, PlanId)>,
    Form(f): Form<Pairs>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let plan = state.store.plan(p.id, path.2)?.ok_or(WebError::NotFound)?;
    save(&state, &m, &p, Some(plan.id), f).await
}
