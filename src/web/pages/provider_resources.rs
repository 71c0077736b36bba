//! Adding and editing a product's resources, with the editor for the extra
//! fields consumers fill when they request access. The editor is plain form
//! rows: "Add another field" posts the form back with one more empty row.

use actix_web::web;
use askama::Template;

use super::expiry_fields::ExpiryFields;
use super::scoped::own_product;
use crate::domain::ids::{ProductId, ResourceId, TeamId};
use crate::domain::product::Product;
use crate::domain::request_fields::{FieldKind, FieldRow, MAX_FIELDS, parse_rows};
use crate::domain::resource::{CredentialType, Resource, ResourceInput, ResourceSpec};
use crate::ops::catalog;
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{ProviderMember, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::form::Pairs;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct RowView {
    pub i: usize,
    pub row: FieldRow,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "provider/resource_form.html")]
struct ResourceForm {
    layout: Layout,
    team_id: String,
    product_id: String,
    product_name: String,
    /// `None` while adding.
    resource_id: Option<String>,
    name: String,
    description: String,
    route: String,
    dataplane: String,
    dataplanes: Vec<String>,
    /// Each credential type, and whether it is ticked.
    types: Vec<(CredentialType, bool)>,
    approval: String,
    rows: Vec<RowView>,
    kinds: [FieldKind; 4],
    expiry: ExpiryFields,
    errors: FormErrors,
}

/// What the form holds, whether typed or loaded.
struct Input {
    name: String,
    description: String,
    route: String,
    dataplane: String,
    types: Vec<String>,
    approval: String,
    rows: Vec<FieldRow>,
    expiry: ExpiryFields,
}

fn form_page(
    state: &AppState,
    m: &TeamMember,
    p: &Product,
    resource_id: Option<ResourceId>,
    input: Input,
    row_errors: std::collections::BTreeMap<usize, String>,
    errors: FormErrors,
) -> ResourceForm {
    let title = match resource_id {
        Some(_) => format!("Edit {}", input.name),
        None => format!("Add a resource to {}", p.details.name),
    };
    let rows = input
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| RowView {
            i,
            row,
            error: row_errors.get(&i).cloned(),
        })
        .collect();
    ResourceForm {
        layout: Layout::new(&m.who.0, title),
        team_id: m.team.id.to_string(),
        product_id: p.id.to_string(),
        product_name: p.details.name.clone(),
        resource_id: resource_id.map(|id| id.to_string()),
        name: input.name,
        description: input.description,
        route: input.route,
        dataplane: input.dataplane,
        dataplanes: state.dataplanes.names(),
        types: CredentialType::ALL
            .into_iter()
            .map(|t| (t, input.types.iter().any(|x| x == t.as_str())))
            .collect(),
        approval: input.approval,
        rows,
        kinds: FieldKind::ALL,
        expiry: input.expiry,
        errors,
    }
}

fn blank_row() -> FieldRow {
    FieldRow {
        kind: "text".to_owned(),
        ..FieldRow::default()
    }
}

fn own_resource(state: &AppState, p: &Product, id: ResourceId) -> Result<Resource, WebError> {
    state.store.resource(p.id, id)?.ok_or(WebError::NotFound)
}

pub async fn new_form(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId)>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let input = Input {
        name: String::new(),
        description: String::new(),
        route: String::new(),
        dataplane: crate::config::EMBEDDED_DATAPLANE.to_owned(),
        types: vec![CredentialType::ApiKey.as_str().to_owned()],
        approval: "automatic".to_owned(),
        rows: vec![blank_row()],
        expiry: ExpiryFields::of(None),
    };
    page(&form_page(
        &state,
        &m,
        &p,
        None,
        input,
        Default::default(),
        FormErrors::default(),
    ))
}

pub async fn edit_form(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, ProductId, ResourceId)>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let r = own_resource(&state, &p, path.2)?;
    let s = r.spec;
    let mut rows: Vec<FieldRow> = s.fields.iter().map(FieldRow::from_field).collect();
    rows.push(blank_row());
    let input = Input {
        name: s.name,
        description: s.description,
        route: s.route.to_string(),
        dataplane: s.dataplane,
        types: s
            .credential_types
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        approval: s.access_approval.as_str().to_owned(),
        rows,
        expiry: ExpiryFields::of(s.expiry.as_ref()),
    };
    page(&form_page(
        &state,
        &m,
        &p,
        Some(r.id),
        input,
        Default::default(),
        FormErrors::default(),
    ))
}

/// Reads the form, dropping rows ticked for removal.
fn read_input(f: &Pairs) -> Input {
    let count = f
        .get("rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_FIELDS + 5);
    let rows = (0..count)
        .filter(|i| !f.has(&format!("f{i}_remove")))
        .map(|i| {
            let at = |what: &str| f.get(&format!("f{i}_{what}")).to_owned();
            FieldRow {
                name: at("name"),
                label: at("label"),
                kind: at("kind"),
                required: f.has(&format!("f{i}_required")),
                options: at("options"),
                pattern: at("pattern"),
                help: at("help"),
            }
        })
        .collect();
    Input {
        name: f.get("name").to_owned(),
        description: f.get("description").to_owned(),
        route: f.get("route").to_owned(),
        dataplane: f.get("dataplane").to_owned(),
        types: f.all("credential_types"),
        approval: f.get("access_approval").to_owned(),
        rows,
        expiry: ExpiryFields::read(f),
    }
}

async fn save(
    state: &AppState,
    m: &TeamMember,
    p: &Product,
    existing: Option<ResourceId>,
    f: Pairs,
) -> PageResult {
    let mut input = read_input(&f);
    if f.get("action") == "add_field" {
        if input.rows.len() < MAX_FIELDS {
            input.rows.push(blank_row());
        }
        return page(&form_page(
            state,
            m,
            p,
            existing,
            input,
            Default::default(),
            FormErrors::default(),
        ));
    }
    let fields = parse_rows(&input.rows);
    let row_errors = fields.as_ref().err().cloned().unwrap_or_default();
    let spec_input = ResourceInput {
        name: &input.name,
        description: &input.description,
        route: &input.route,
        dataplane: &input.dataplane,
        credential_types: &input.types,
        access_approval: &input.approval,
        expiry: catalog::resource_expiry(
            input.expiry.own,
            &input.expiry.max_days,
            &input.expiry.default_days,
            &input.expiry.at_expiry,
        ),
    };
    let caller = m.caller();
    let saved = match fields {
        Ok(fields) => catalog::save_resource(state, &caller, p, existing, spec_input, fields).await,
        // Rows with problems: the other fields are still checked, so every
        // message shows at once; nothing is saved.
        Err(_) => match ResourceSpec::parse(spec_input, &state.dataplanes.names(), Vec::new()) {
            Ok(_) => Err(OpError::Invalid(Vec::new())),
            Err(list) => Err(OpError::Invalid(list)),
        },
    };
    let mut errors = match saved {
        Ok(r) => {
            return Ok(redirect_flash(
                &m.who.0,
                &format!("/provider/{}/products/{}", m.team.id, p.id),
                FlashKind::Success,
                format!("The resource {} is saved.", r.spec.name),
            ));
        }
        Err(OpError::Invalid(list)) => FormErrors::from(list),
        Err(e) => {
            return Ok(redirect_flash(
                &m.who.0,
                &format!("/provider/{}/products/{}", m.team.id, p.id),
                FlashKind::Error,
                message_of(e)?,
            ));
        }
    };
    if !row_errors.is_empty() {
        errors.add(crate::domain::FieldError::new(
            "fields",
            "Some request fields need attention: see the messages beside them.",
        ));
    }
    form_again(&form_page(state, m, p, existing, input, row_errors, errors))
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
    path: web::Path<(TeamId, ProductId, ResourceId)>,
    Form(f): Form<Pairs>,
) -> PageResult {
    let p = own_product(&state, &m, path.1)?;
    let r = own_resource(&state, &p, path.2)?;
    save(&state, &m, &p, Some(r.id), f).await
}
