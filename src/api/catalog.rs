//! The catalog over the API: the Marketplace (read) and a provider team's
//! products, resources and plans (write).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::page::{Page, ProductList};
use super::problem::{ApiResult, Problem};
use super::views::{ExpiryView, PlanView, ProductView, ResourceView};
use super::{created, json, ok, once};
use crate::domain::ids::{PlanId, ProductId, ResourceId, TeamId};
use crate::domain::request_fields::RequestField;
use crate::domain::resource::ResourceInput;
use crate::ops::catalog::{self, PlanInput, ProductInput};
use crate::ops::{AppState, OpError, tokens};

fn view(state: &AppState, p: &crate::domain::product::Product) -> ApiResult<ProductView> {
    let (resources, plans) = catalog::parts(state, p)?;
    Ok(ProductView::of(p, &resources, &plans))
}

/// List the Marketplace
///
/// Every published product, with its resources and plans.
#[utoipa::path(get, operation_id = "listProducts", path = "/api/v1/products", tag = "marketplace", params(Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = ProductList, description = "The published products"),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn marketplace(
    state: web::Data<AppState>,
    _bearer: Bearer,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let mut all = Vec::new();
    for p in catalog::published(&state)? {
        all.push(view(&state, &p)?);
    }
    Ok(ok(&ProductList::new(page.of(all, |p| p.id.clone())?)))
}

/// Read a product
///
/// A published product, or one of the caller's own team.
#[utoipa::path(get, operation_id = "getProduct", path = "/api/v1/products/{product}", tag = "marketplace",
    params(("product" = String, Path, description = "The product's id")),
    responses((status = 200, body = ProductView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn product(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<ProductId>,
) -> ApiResult<HttpResponse> {
    let teams: Vec<TeamId> = tokens::teams(&state, &bearer.0)?
        .iter()
        .map(|(t, _)| t.id)
        .collect();
    let p = catalog::visible(&state, &teams, false, *path)?;
    Ok(ok(&view(&state, &p)?))
}

/// A product's name, summary, markdown description and tags.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    pub name: String,
    pub summary: String,
    /// Markdown.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<ProductBody> for ProductInput {
    fn from(b: ProductBody) -> Self {
        ProductInput {
            name: b.name,
            summary: b.summary,
            description: b.description,
            tags: b.tags.join(", "),
        }
    }
}

/// List a provider team's products
///
/// The team's products in every state: draft, published and unpublished.
#[utoipa::path(get, operation_id = "listOwnProducts", path = "/api/v1/teams/{team}/products", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = ProductList, description = "The team's products, drafts included"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn own(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let mut all = Vec::new();
    for p in catalog::list(&state, &c)? {
        all.push(view(&state, &p)?);
    }
    Ok(ok(&ProductList::new(page.of(all, |p| p.id.clone())?)))
}

/// Create a product
///
/// A new draft product of the provider team; it shows in the Marketplace once published.
#[utoipa::path(post, operation_id = "createProduct", path = "/api/v1/teams/{team}/products", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried create with the same key answers with the first one's product")),
    request_body = ProductBody,
    responses((status = 201, body = ProductView, description = "Created as a draft"), (status = 200, body = ProductView, description = "Replayed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let input: ProductInput = json::<ProductBody>(&body)?.into();
    once::create(
        &state,
        &req,
        &bearer,
        &body,
        || async {
            let p = catalog::save_product(&state, &c, None, &input).await?;
            Ok((p.id.to_string(), created(&view(&state, &p)?)))
        },
        |id| {
            let id = id.parse().map_err(|_| OpError::NotFound)?;
            Ok(ok(&view(&state, &catalog::own_product(&state, &c, id)?)?))
        },
    )
    .await
}

/// Change a product
///
/// Replaces the product's name, summary, description and tags.
#[utoipa::path(put, operation_id = "updateProduct", path = "/api/v1/teams/{team}/products/{product}", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id")),
    request_body = ProductBody,
    responses((status = 200, body = ProductView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_product(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let input: ProductInput = json::<ProductBody>(&body)?.into();
    let p = catalog::save_product(&state, &c, Some(id), &input).await?;
    Ok(ok(&view(&state, &p)?))
}

/// Publish or unpublish a product
///
/// `publish` shows the product in the Marketplace (it needs a resource and a plan); `unpublish` hides it from new subscribers while existing subscriptions keep working.
#[utoipa::path(post, operation_id = "setProductPublishing", path = "/api/v1/teams/{team}/products/{product}/{publishing}", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id"),
        ("publishing" = super::views::Publishing, Path, description = "Show or hide the product")),
    responses((status = 200, body = ProductView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn publishing(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId, String)>,
) -> ApiResult<HttpResponse> {
    let (team, id, verb) = path.into_inner();
    let publish = match verb.as_str() {
        "publish" => true,
        "unpublish" => false,
        _ => return Err(OpError::NotFound.into()),
    };
    let c = bearer.caller(&state, team)?;
    let p = catalog::own_product(&state, &c, id)?;
    let p = catalog::set_published(&state, &c, &p, publish).await?;
    Ok(ok(&view(&state, &p)?))
}

/// A field a consumer fills in when requesting access to a resource.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldBody {
    /// Lowercase letters, digits and `_`.
    pub name: String,
    pub label: String,
    /// text, number, select or checkbox.
    #[schema(value_type = super::views::FieldKind)]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// For select: the choices.
    #[serde(default)]
    pub options: Vec<String>,
    /// For text: a regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub help: String,
}

/// A resource: the API route the gateway serves, on which data plane, with the credential types and access approval it takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A path prefix such as `/weather/`; matched on whole segments.
    pub route: String,
    pub dataplane: String,
    /// api_key and/or oauth_client.
    #[schema(value_type = Vec<super::views::CredentialKind>)]
    pub credential_types: Vec<String>,
    /// automatic or manual.
    #[schema(value_type = super::views::Approval)]
    pub access_approval: String,
    #[serde(default)]
    pub fields: Vec<FieldBody>,
    /// Its own credential lifetimes for every plan; absent: each plan's.
    #[serde(default)]
    pub expiry: Option<ExpiryView>,
}

fn fields_of(b: &[FieldBody]) -> ApiResult<Vec<RequestField>> {
    let rows: Vec<crate::domain::request_fields::FieldRow> = b
        .iter()
        .map(|f| crate::domain::request_fields::FieldRow {
            name: f.name.clone(),
            label: f.label.clone(),
            kind: f.kind.clone(),
            required: f.required,
            options: f.options.join("\n"),
            pattern: f.pattern.clone().unwrap_or_default(),
            help: f.help.clone(),
        })
        .collect();
    crate::domain::request_fields::parse_rows(&rows).map_err(|by_row| {
        OpError::Invalid(
            by_row
                .into_values()
                .map(|m| crate::domain::FieldError::new("fields", m))
                .collect(),
        )
        .into()
    })
}

async fn save_resource(
    state: &AppState,
    bearer: &Bearer,
    team: TeamId,
    product: ProductId,
    existing: Option<ResourceId>,
    body: &web::Bytes,
) -> ApiResult<ResourceView> {
    let c = bearer.caller(state, team)?;
    let b: ResourceBody = json(body)?;
    let fields = fields_of(&b.fields)?;
    let p = catalog::own_product(state, &c, product)?;
    let input = ResourceInput {
        name: &b.name,
        description: &b.description,
        route: &b.route,
        dataplane: &b.dataplane,
        credential_types: &b.credential_types,
        access_approval: &b.access_approval,
        expiry: b.expiry.as_ref().map(ExpiryView::policy).transpose(),
    };
    let r = catalog::save_resource(state, &c, &p, existing, input, fields).await?;
    Ok(ResourceView::from(&r))
}

/// Add a resource to a product
///
/// A resource is an API route the gateway serves on a data plane, with the credential types and the access approval it takes.
#[utoipa::path(post, operation_id = "createResource", path = "/api/v1/teams/{team}/products/{product}/resources", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id")),
    request_body = ResourceBody,
    responses((status = 201, body = ResourceView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_resource(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, product) = path.into_inner();
    Ok(created(
        &save_resource(&state, &bearer, team, product, None, &body).await?,
    ))
}

/// Change a resource
///
/// Replaces the resource's settings.
#[utoipa::path(put, operation_id = "updateResource", path = "/api/v1/teams/{team}/products/{product}/resources/{resource}", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id"), ("resource" = String, Path, description = "The resource's id")),
    request_body = ResourceBody,
    responses((status = 200, body = ResourceView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_resource(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId, ResourceId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, product, id) = path.into_inner();
    Ok(ok(&save_resource(
        &state,
        &bearer,
        team,
        product,
        Some(id),
        &body,
    )
    .await?))
}

/// A plan: the resources it grants, its quota, approval mode and credential lifetimes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The ids of the product's resources the plan includes.
    pub resources: Vec<String>,
    /// Requests per minute; absent: no limit per minute.
    #[serde(default)]
    pub per_minute: Option<u32>,
    /// Requests per day; absent: no limit per day.
    #[serde(default)]
    pub per_day: Option<u32>,
    /// automatic or manual.
    #[schema(value_type = super::views::Approval)]
    pub approval: String,
    /// How long its credentials live; absent: no expiry unless a consumer sets one.
    #[serde(default)]
    pub expiry: Option<ExpiryView>,
}

async fn save_plan(
    state: &AppState,
    bearer: &Bearer,
    team: TeamId,
    product: ProductId,
    existing: Option<PlanId>,
    body: &web::Bytes,
) -> ApiResult<PlanView> {
    let c = bearer.caller(state, team)?;
    let b: PlanBody = json(body)?;
    let p = catalog::own_product(state, &c, product)?;
    let (max_days, default_days, at_expiry) =
        b.expiry.as_ref().map(ExpiryView::typed).unwrap_or_default();
    let input = PlanInput {
        name: b.name,
        description: b.description,
        resources: b.resources,
        per_minute: b.per_minute.map(|n| n.to_string()).unwrap_or_default(),
        per_day: b.per_day.map(|n| n.to_string()).unwrap_or_default(),
        approval: b.approval,
        max_days,
        default_days,
        at_expiry,
    };
    let plan = catalog::save_plan(state, &c, &p, existing, &input).await?;
    Ok(PlanView::from(&plan))
}

/// Add a plan to a product
///
/// A plan grants resources with a quota, an approval mode and credential lifetimes.
#[utoipa::path(post, operation_id = "createPlan", path = "/api/v1/teams/{team}/products/{product}/plans", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id")),
    request_body = PlanBody,
    responses((status = 201, body = PlanView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_plan(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, product) = path.into_inner();
    Ok(created(
        &save_plan(&state, &bearer, team, product, None, &body).await?,
    ))
}

/// Change a plan
///
/// Replaces the plan's settings.
#[utoipa::path(put, operation_id = "updatePlan", path = "/api/v1/teams/{team}/products/{product}/plans/{plan}", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id"), ("plan" = String, Path, description = "The plan's id")),
    request_body = PlanBody,
    responses((status = 200, body = PlanView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_plan(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId, PlanId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, product, id) = path.into_inner();
    Ok(ok(&save_plan(
        &state,
        &bearer,
        team,
        product,
        Some(id),
        &body,
    )
    .await?))
}
