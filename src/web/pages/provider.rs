//! The Provider area: a provider team's products, creating and editing one,
//! publishing and unpublishing.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::history::{AuditRow, audit_rows};
use super::product_views::{PlanRow, approval_words, plan_rows};
use super::scoped::own_product;
use crate::domain::FieldError;
use crate::domain::audit::Subject;
use crate::domain::ids::{ProductId, TeamId};
use crate::ops::catalog::{self, ProductInput};
use crate::ops::{AppState, OpError};
use crate::web::csrf::{Form, NoFields};
use crate::web::errors::message_of;
use crate::web::extractors::{ProviderMember, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub state: &'static str,
    pub resources: usize,
    pub plans: usize,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "provider/products.html")]
struct ProductsPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    products: Vec<ProductRow>,
    pending: usize,
}

pub async fn products(state: web::Data<AppState>, ProviderMember(m): ProviderMember) -> PageResult {
    let mut products = Vec::new();
    for p in state.store.products_of(m.team.id)? {
        products.push(ProductRow {
            id: p.id.to_string(),
            resources: state.store.resources(p.id)?.len(),
            plans: state.store.plans(p.id)?.len(),
            name: p.details.name,
            state: p.state.as_str(),
            updated: p.updated_at.display(),
        });
    }
    products.sort_by_key(|p| p.name.to_lowercase());
    let pending = state
        .store
        .subscriptions_of_provider(m.team.id)?
        .iter()
        .filter(|s| s.state == crate::domain::subscription::SubscriptionState::Requested)
        .count()
        + state
            .store
            .accesses_of_provider(m.team.id)?
            .iter()
            .filter(|a| a.approval == crate::domain::access::Approval::Pending)
            .count();
    page(&ProductsPage {
        layout: Layout::new(&m.who.0, format!("Provider: {}", m.team.name)),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        products,
        pending,
    })
}

#[derive(Template)]
#[template(path = "provider/product_form.html")]
struct ProductForm {
    layout: Layout,
    team_id: String,
    /// `None` while creating.
    product_id: Option<String>,
    name: String,
    summary: String,
    description: String,
    tags: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct ProductFields {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: String,
}

fn product_form(
    m: &TeamMember,
    product_id: Option<String>,
    f: ProductFields,
    errors: FormErrors,
) -> ProductForm {
    let title = if product_id.is_some() {
        format!("Edit {}", f.name)
    } else {
        "New product".to_owned()
    };
    ProductForm {
        layout: Layout::new(&m.who.0, title),
        team_id: m.team.id.to_string(),
        product_id,
        name: f.name,
        summary: f.summary,
        description: f.description,
        tags: f.tags,
        errors,
    }
}

pub async fn new_form(ProviderMember(m): ProviderMember) -> PageResult {
    page(&product_form(
        &m,
        None,
        ProductFields::default(),
        FormErrors::default(),
    ))
}

pub async fn edit_form(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let d = p.details;
    let fields = ProductFields {
        request_id: String::new(),
        name: d.name,
        summary: d.summary,
        description: d.description,
        tags: d
            .tags
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    page(&product_form(
        &m,
        Some(p.id.to_string()),
        fields,
        FormErrors::default(),
    ))
}

async fn save(
    state: &AppState,
    m: &TeamMember,
    existing: Option<ProductId>,
    f: ProductFields,
) -> PageResult {
    let input = ProductInput {
        name: f.name.clone(),
        summary: f.summary.clone(),
        description: f.description.clone(),
        tags: f.tags.clone(),
    };
    let errors = match catalog::save_product(state, &m.caller(), existing, &input).await {
        Ok(p) => {
            let to = format!("/provider/{}/products/{}", m.team.id, p.id);
            let done = if existing.is_some() {
                "The product is saved."
            } else {
                "The product is created as a draft. Add resources and a plan, then publish it."
            };
            return Ok(redirect_flash(&m.who.0, &to, FlashKind::Success, done));
        }
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => FormErrors::one(FieldError::new("name", message_of(e)?)),
    };
    form_again(&product_form(
        m,
        existing.map(|id| id.to_string()),
        f,
        errors,
    ))
}

pub async fn create(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    Form(f): Form<ProductFields>,
) -> PageResult {
    let request_id = f.request_id.clone();
    guarded(&state, m.who.user().id, &request_id, || {
        save(&state, &m, None, f)
    })
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
    Form(f): Form<ProductFields>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    save(&state, &m, Some(p.id), f).await
}

pub struct ResourceRow {
    pub id: String,
    pub name: String,
    pub route: String,
    pub dataplane: String,
    pub types: String,
    pub approval: &'static str,
    pub fields: usize,
}

#[derive(Template)]
#[template(path = "provider/product.html")]
struct ProductPage {
    /// Unpublishing's dialog, in the words of its confirm page.
    confirm_unpublish: String,
    layout: Layout,
    team_id: String,
    product_id: String,
    name: String,
    summary: String,
    tags: Vec<String>,
    state: &'static str,
    published: bool,
    description_html: String,
    resources: Vec<ResourceRow>,
    plans: Vec<PlanRow>,
    history: Vec<AuditRow>,
}

pub async fn show(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let resources = state
        .store
        .resources(p.id)?
        .into_iter()
        .map(|r| ResourceRow {
            id: r.id.to_string(),
            route: r.spec.route.to_string(),
            dataplane: r.spec.dataplane.clone(),
            types: r
                .spec
                .credential_types
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", "),
            approval: approval_words(r.spec.access_approval),
            fields: r.spec.fields.len(),
            name: r.spec.name,
        })
        .collect();
    let plans = plan_rows(&state, &p)?;
    let history = audit_rows(
        &state.store,
        state.store.subject_audit(Subject::Product(p.id), 30)?,
    )?;
    page(&ProductPage {
        confirm_unpublish: super::confirm::dialog(unpublish_question(&p.details.name)),
        layout: Layout::new(&m.who.0, p.details.name.clone()),
        team_id: m.team.id.to_string(),
        product_id: p.id.to_string(),
        description_html: super::product_views::description_html(&p).await?,
        tags: p.details.tags.iter().map(|t| t.to_string()).collect(),
        state: p.state.as_str(),
        published: p.is_published(),
        name: p.details.name,
        summary: p.details.summary,
        resources,
        plans,
        history,
    })
}

async fn set_published(
    state: &AppState,
    m: &TeamMember,
    id: ProductId,
    publish: bool,
) -> PageResult {
    let p = own_product(state, m, id)?;
    let (kind, message) = match catalog::set_published(state, &m.caller(), &p, publish).await {
        Ok(_) if publish => (
            FlashKind::Success,
            format!("{} is published in the Marketplace.", p.details.name),
        ),
        Ok(_) => (
            FlashKind::Success,
            format!(
                "{} is hidden from the Marketplace. Its subscriptions carry on.",
                p.details.name
            ),
        ),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(
        &m.who.0,
        &format!("/provider/{}/products/{}", m.team.id, p.id),
        kind,
        message,
    ))
}

pub async fn publish(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
    Form(_): Form<NoFields>,
) -> PageResult {
    set_published(&state, &m, path.1, true).await
}

/// What hiding a product asks.
fn unpublish_question(name: &str) -> (String, String) {
    (
        format!("Hide {name} from the Marketplace?"),
        "Existing subscriptions carry on; nobody new can subscribe until it is published again."
            .to_owned(),
    )
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirmed: String,
}

pub async fn unpublish(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
    Form(f): Form<ConfirmForm>,
) -> PageResult {
    if f.confirmed != "yes" {
        let p = own_product(&state, &m, path.1)?;
        let back = format!("/provider/{}/products/{}", m.team.id, p.id);
        return super::confirm::confirm_page(
            &m.who.0,
            unpublish_question(&p.details.name),
            format!("{back}/unpublish"),
            format!("Yes, hide {}", p.details.name),
            back,
            Vec::new(),
        );
    }
    set_published(&state, &m, path.1, false).await
}
