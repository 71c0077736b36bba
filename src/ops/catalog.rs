//! The provider's catalog: products (draft, published, unpublished), their
//! resources (one route each on a data plane) and usage plans.

use serde::Deserialize;

use crate::domain::expiry::ExpiryPolicy;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::catalog::{SavePlan, SaveProduct, SaveResource, SetPublished};
use crate::actors::team::TeamCommandError;
use crate::domain::FieldError;
use crate::domain::ids::{PlanId, ProductId, ResourceId};
use crate::domain::product::{CatalogError, Product, ProductDetails};
use crate::domain::request_fields::RequestField;
use crate::domain::resource::{Plan, PlanSpec, Quota, Resource, ResourceInput, ResourceSpec};

/// The caller's provider team's product, or not found.
pub fn own_product(state: &AppState, caller: &Caller, id: ProductId) -> Result<Product, OpError> {
    caller.sees_provider()?;
    match state.store.product(id)? {
        Some(p) if p.provider == caller.team_id() => Ok(p),
        _ => Err(OpError::NotFound),
    }
}

/// The caller's provider team's products.
pub fn list(state: &AppState, caller: &Caller) -> Result<Vec<Product>, OpError> {
    caller.sees_provider()?;
    Ok(state.store.products_of(caller.team_id())?)
}

/// A product's resource, or not found.
pub fn resource(state: &AppState, p: &Product, id: ResourceId) -> Result<Resource, OpError> {
    state.store.resource(p.id, id)?.ok_or(OpError::NotFound)
}

/// A product's plan, or not found.
pub fn plan(state: &AppState, p: &Product, id: PlanId) -> Result<Plan, OpError> {
    state.store.plan(p.id, id)?.ok_or(OpError::NotFound)
}

/// A product's name, summary, markdown description and tags, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub description: String,
    /// Comma-separated.
    #[serde(default)]
    pub tags: String,
}

/// Creates a draft product (`existing: None`) or saves one of the caller's.
pub async fn save_product(
    state: &AppState,
    caller: &Caller,
    existing: Option<ProductId>,
    input: &ProductInput,
) -> Result<Product, OpError> {
    caller.must_provide()?;
    if let Some(id) = existing {
        own_product(state, caller, id)?;
    }
    let details =
        ProductDetails::parse(&input.name, &input.summary, &input.description, &input.tags)
            .map_err(OpError::Invalid)?;
    let id = existing.unwrap_or_else(|| ProductId::generate(state.clock.now()));
    let cmd = SaveProduct {
        id,
        is_new: existing.is_none(),
        details,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    own_product(state, caller, id)
}

/// Publishes the product in the Marketplace, or hides it again (its
/// subscriptions carry on).
pub async fn set_published(
    state: &AppState,
    caller: &Caller,
    p: &Product,
    publish: bool,
) -> Result<Product, OpError> {
    caller.must_provide()?;
    let p = own_product(state, caller, p.id)?;
    let cmd = SetPublished {
        id: p.id,
        publish,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    own_product(state, caller, p.id)
}

/// Creates or saves a resource of the caller's product. `fields` are the
/// request fields, already read from the front end's shape.
pub async fn save_resource(
    state: &AppState,
    caller: &Caller,
    p: &Product,
    existing: Option<ResourceId>,
    input: ResourceInput<'_>,
    fields: Vec<RequestField>,
) -> Result<Resource, OpError> {
    caller.must_provide()?;
    let p = own_product(state, caller, p.id)?;
    if let Some(id) = existing {
        resource(state, &p, id)?;
    }
    let spec =
        ResourceSpec::parse(input, &state.dataplanes.names(), fields).map_err(OpError::Invalid)?;
    let id = existing.unwrap_or_else(|| ResourceId::generate(state.clock.now()));
    let cmd = SaveResource {
        product: p.id,
        id,
        is_new: existing.is_none(),
        spec,
        actor: caller.user,
    };
    match state.teams.send(caller.team_id(), cmd).await? {
        Ok(()) => resource(state, &p, id),
        // A route another resource holds, or one nested in another
        // product's, belongs beside the route field.
        Err(TeamCommandError::Catalog(
            e @ (CatalogError::RouteTaken { .. } | CatalogError::RouteNested { .. }),
        )) => Err(OpError::Invalid(vec![FieldError::new(
            "route",
            e.to_string(),
        )])),
        Err(e) => Err(e.into()),
    }
}

/// A plan as typed: its name, description, included resources (ids),
/// quota per minute and per day (empty: none) and approval mode.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub per_minute: String,
    #[serde(default)]
    pub per_day: String,
    #[serde(default)]
    pub approval: String,
    /// Credential lifetimes: the most days a consumer may choose (empty: no
    /// limit), the default (empty: the maximum, or none), and `suspend` or
    /// `deprovision` at expiry.
    #[serde(default)]
    pub max_days: String,
    #[serde(default)]
    pub default_days: String,
    #[serde(default)]
    pub at_expiry: String,
}

/// A resource's own lifetime policy as typed: `own` false keeps each
/// plan's.
pub fn resource_expiry(
    own: bool,
    max_days: &str,
    default_days: &str,
    at_expiry: &str,
) -> Result<Option<ExpiryPolicy>, Vec<FieldError>> {
    if !own {
        return Ok(None);
    }
    ExpiryPolicy::parse(max_days, default_days, at_expiry).map(Some)
}

/// Creates or saves a plan of the caller's product.
pub async fn save_plan(
    state: &AppState,
    caller: &Caller,
    p: &Product,
    existing: Option<PlanId>,
    input: &PlanInput,
) -> Result<Plan, OpError> {
    caller.must_provide()?;
    let p = own_product(state, caller, p.id)?;
    if let Some(id) = existing {
        plan(state, &p, id)?;
    }
    let known: Vec<ResourceId> = state.store.resources(p.id)?.iter().map(|r| r.id).collect();
    let spec = PlanSpec::parse(
        &input.name,
        &input.description,
        &input.resources,
        &known,
        Quota::parse(&input.per_minute, &input.per_day),
        &input.approval,
        ExpiryPolicy::parse(&input.max_days, &input.default_days, &input.at_expiry),
    )
    .map_err(OpError::Invalid)?;
    let id = existing.unwrap_or_else(|| PlanId::generate(state.clock.now()));
    let cmd = SavePlan {
        product: p.id,
        id,
        is_new: existing.is_none(),
        spec,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    plan(state, &p, id)
}

/// A product as the Marketplace shows it: to everyone once published;
/// before, and after it is unpublished, only to its provider team, the
/// platform admin and teams that subscribed to it. Others: not found.
pub fn visible(
    state: &AppState,
    teams: &[crate::domain::ids::TeamId],
    platform_admin: bool,
    id: ProductId,
) -> Result<Product, OpError> {
    let p = state.store.product(id)?.ok_or(OpError::NotFound)?;
    if p.is_published() || platform_admin {
        return Ok(p);
    }
    for team in teams {
        if *team == p.provider
            || state
                .store
                .subscriptions_of_team(*team)?
                .iter()
                .any(|s| s.product == p.id)
        {
            return Ok(p);
        }
    }
    Err(OpError::NotFound)
}

/// The published products, as the Marketplace lists them.
pub fn published(state: &AppState) -> Result<Vec<Product>, OpError> {
    Ok(state
        .store
        .products()?
        .into_iter()
        .filter(Product::is_published)
        .collect())
}

/// A product with its resources and plans.
pub fn parts(state: &AppState, p: &Product) -> Result<(Vec<Resource>, Vec<Plan>), OpError> {
    Ok((state.store.resources(p.id)?, state.store.plans(p.id)?))
}
