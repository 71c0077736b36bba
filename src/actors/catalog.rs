//! A provider team's actor writes its products, resources and plans, and
//! refreshes the Marketplace card of a product after each change.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor, TeamCommandError};
use crate::domain::audit::Subject;
use crate::domain::ids::{PlanId, ProductId, ResourceId, UserId};
use crate::domain::markdown;
use crate::domain::product::{CatalogError, Product, ProductDetails, ProductState, check_publish};
use crate::domain::resource::{Plan, PlanSpec, Resource, ResourceSpec};
use crate::store::{Conflict, StoreError};

impl TeamActor {
    /// The product, when it belongs to this (provider) team.
    fn own_product(&self, id: ProductId) -> Result<Product, TeamCommandError> {
        match self.store.product(id)? {
            Some(p) if p.provider == self.team_id => Ok(p),
            _ => Err(CatalogError::Missing.into()),
        }
    }

    fn check_provider(&self) -> Result<(), TeamCommandError> {
        match self.store.team(self.team_id)? {
            Some(t) if t.provider => Ok(()),
            _ => Err(CatalogError::NotProvider.into()),
        }
    }
}

fn route_taken(e: StoreError) -> TeamCommandError {
    match e {
        StoreError::Conflict(Conflict::RouteTaken { route, dataplane }) => {
            CatalogError::RouteTaken { route, dataplane }.into()
        }
        StoreError::Conflict(Conflict::RouteNested {
            route,
            other,
            dataplane,
        }) => CatalogError::RouteNested {
            route,
            other,
            dataplane,
        }
        .into(),
        other => other.into(),
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SetProvider {
    pub provider: bool,
    pub actor: UserId,
}

impl Handler<SetProvider> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: SetProvider, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let Some(mut team) = me.store.team(me.team_id)? else {
                return Err(CatalogError::Missing.into());
            };
            if team.provider == msg.provider {
                return Ok(());
            }
            if !msg.provider
                && me
                    .store
                    .products_of(me.team_id)?
                    .iter()
                    .any(Product::is_published)
            {
                return Err(CatalogError::StillPublishing.into());
            }
            team.provider = msg.provider;
            let detail = if msg.provider {
                "made the team a provider team"
            } else {
                "made the team a consumer-only team"
            };
            let audit = me.audit_about(msg.actor, "team.provider", detail.to_owned(), None);
            me.store.update_team(&team, &audit)?;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SaveProduct {
    pub id: ProductId,
    pub is_new: bool,
    pub details: ProductDetails,
    pub actor: UserId,
}

impl Handler<SaveProduct> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: SaveProduct, _: &mut Context<Self>) -> CommandResult {
        // Rendered once here, off the request workers, instead of on every view.
        let html = Some(markdown::render(&msg.details.description));
        self.commit_now(|me| {
            me.check_provider()?;
            let now = me.clock.now();
            let product = if msg.is_new {
                Product {
                    id: msg.id,
                    provider: me.team_id,
                    details: msg.details,
                    state: ProductState::Draft,
                    created_at: now,
                    updated_at: now,
                    published_at: None,
                    description_html: html,
                }
            } else {
                let mut p = me.own_product(msg.id)?;
                p.details = msg.details;
                p.description_html = html;
                p.updated_at = now;
                p
            };
            let verb = if msg.is_new { "created" } else { "edited" };
            let audit = me.audit_about(
                msg.actor,
                &format!("product.{verb}"),
                format!("{verb} product {}", product.details.name),
                Some(Subject::Product(product.id)),
            );
            me.store.put_product(&product, msg.is_new, &audit)?;
            Ok(())
        })?;
        self.market.refresh(&self.store, msg.id)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SetPublished {
    pub id: ProductId,
    pub publish: bool,
    pub actor: UserId,
}

impl Handler<SetPublished> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: SetPublished, _: &mut Context<Self>) -> CommandResult {
        self.commit_now(|me| {
            me.check_provider()?;
            let mut p = me.own_product(msg.id)?;
            let now = me.clock.now();
            if msg.publish {
                check_publish(&p, me.store.plans(p.id)?.len())?;
                p.state = ProductState::Published;
                p.published_at = Some(now);
            } else {
                if !p.is_published() {
                    return Err(CatalogError::NotPublished.into());
                }
                p.state = ProductState::Unpublished;
            }
            p.updated_at = now;
            let verb = if msg.publish {
                "published"
            } else {
                "unpublished"
            };
            let audit = me.audit_about(
                msg.actor,
                &format!("product.{verb}"),
                format!("{verb} product {}", p.details.name),
                Some(Subject::Product(p.id)),
            );
            me.store.put_product(&p, false, &audit)?;
            Ok(())
        })?;
        self.market.refresh(&self.store, msg.id)?;
        // Only published products' routes take calls at the gateway.
        self.gateway.refresh_routes(&self.store)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SaveResource {
    pub product: ProductId,
    pub id: ResourceId,
    pub is_new: bool,
    pub spec: ResourceSpec,
    pub actor: UserId,
}

impl Handler<SaveResource> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: SaveResource, _: &mut Context<Self>) -> CommandResult {
        self.commit_now(|me| {
            me.check_provider()?;
            let product = me.own_product(msg.product)?;
            let now = me.clock.now();
            let previous = me.store.resource(msg.product, msg.id)?;
            if previous.is_some() == msg.is_new {
                return Err(CatalogError::Missing.into());
            }
            let resource = Resource {
                id: msg.id,
                product: msg.product,
                created_at: previous.as_ref().map_or(now, |p| p.created_at),
                updated_at: now,
                spec: msg.spec,
            };
            let verb = if msg.is_new { "added" } else { "edited" };
            let audit = me.audit_about(
                msg.actor,
                &format!("resource.{verb}"),
                format!(
                    "{verb} resource {} ({}) of {}",
                    resource.spec.name, resource.spec.route, product.details.name
                ),
                Some(Subject::Product(product.id)),
            );
            me.store
                .put_resource(&resource, previous.as_ref(), &audit)
                .map_err(route_taken)
        })?;
        // The embedded gateway finds resources by their routes.
        self.gateway.refresh_routes(&self.store)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SavePlan {
    pub product: ProductId,
    pub id: PlanId,
    pub is_new: bool,
    pub spec: PlanSpec,
    pub actor: UserId,
}

impl Handler<SavePlan> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: SavePlan, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            me.check_provider()?;
            let product = me.own_product(msg.product)?;
            let known: Vec<ResourceId> = me
                .store
                .resources(product.id)?
                .iter()
                .map(|r| r.id)
                .collect();
            if msg.spec.resources.iter().any(|r| !known.contains(r)) {
                return Err(CatalogError::ForeignResource.into());
            }
            let now = me.clock.now();
            let previous = me.store.plan(msg.product, msg.id)?;
            if previous.is_some() == msg.is_new {
                return Err(CatalogError::Missing.into());
            }
            let plan = Plan {
                id: msg.id,
                product: msg.product,
                created_at: previous.as_ref().map_or(now, |p| p.created_at),
                updated_at: now,
                spec: msg.spec,
            };
            let verb = if msg.is_new { "added" } else { "edited" };
            let audit = me.audit_about(
                msg.actor,
                &format!("plan.{verb}"),
                format!(
                    "{verb} plan {} of {} ({})",
                    plan.spec.name, product.details.name, plan.spec.quota
                ),
                Some(Subject::Product(product.id)),
            );
            me.store.put_plan(&plan, msg.is_new, &audit)?;
            Ok(())
        })
    }
}
