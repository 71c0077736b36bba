//! Products, their resources and usage plans. Resources and plans are keyed
//! by product then id, so a product's parts are one prefix scan. Each route is
//! claimed once per data plane in `resource_by_route`.

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, abort, key};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{PlanId, ProductId, ResourceId, TeamId};
use crate::domain::product::Product;
use crate::domain::resource::{Plan, Resource};

fn route_key(dataplane: &str, route: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(dataplane.len() + 1 + route.len());
    k.extend_from_slice(dataplane.as_bytes());
    k.push(0);
    k.extend_from_slice(route.as_bytes());
    k
}

impl Store {
    /// Creates (`is_new`) or replaces a product, with its audit record.
    pub fn put_product(
        &self,
        product: &Product,
        is_new: bool,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let value = encode(product)?;
        let id = product.id.to_bytes();
        let by_provider = key::<32>(&[&product.provider.to_bytes(), &id]);
        self.audited(&[&self.product, &self.product_by_provider], audit, |t| {
            let existed = t[0].insert(&id, value.clone())?.is_some();
            if existed == is_new {
                return abort(Conflict::Missing);
            }
            t[1].insert(&by_provider[..], &[])?;
            Ok(())
        })
    }

    pub fn product(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        self.product
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Every product, oldest first (for building the Marketplace index).
    pub fn products(&self) -> Result<Vec<Product>, StoreError> {
        self.product.iter().values().map(|v| decode(&v?)).collect()
    }

    /// A provider team's products, oldest first.
    pub fn products_of(&self, provider: TeamId) -> Result<Vec<Product>, StoreError> {
        let mut out = Vec::new();
        for k in self
            .product_by_provider
            .scan_prefix(provider.to_bytes())
            .keys()
        {
            let k = k?;
            if let Some(p) = ProductId::from_bytes(&k[16..]).map(|id| self.product(id)) {
                out.extend(p?);
            }
        }
        Ok(out)
    }

    /// Creates or replaces a resource. Its route must be free on its data
    /// plane; a changed route releases the old one.
    pub fn put_resource(
        &self,
        resource: &Resource,
        previous: Option<&Resource>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let value = encode(resource)?;
        let k = key::<32>(&[&resource.product.to_bytes(), &resource.id.to_bytes()]);
        let spec = &resource.spec;
        let route = route_key(&spec.dataplane, spec.route.as_str());
        let old_route = previous.map(|p| route_key(&p.spec.dataplane, p.spec.route.as_str()));
        self.audited(&[&self.resource, &self.resource_by_route], audit, |t| {
            let (resources, by_route) = (&t[0], &t[1]);
            let existed = resources.insert(&k[..], value.clone())?.is_some();
            if existed != previous.is_some() {
                return abort(Conflict::Missing);
            }
            if let Some(owner) = by_route.get(&route)?
                && owner.as_ref() != k
            {
                return abort(Conflict::RouteTaken {
                    route: spec.route.to_string(),
                    dataplane: spec.dataplane.clone(),
                });
            }
            if let Some(old) = &old_route
                && *old != route
            {
                by_route.remove(&old[..])?;
            }
            by_route.insert(&route[..], &k[..])?;
            Ok(())
        })
    }

    pub fn resource(
        &self,
        product: ProductId,
        id: ResourceId,
    ) -> Result<Option<Resource>, StoreError> {
        let k = key::<32>(&[&product.to_bytes(), &id.to_bytes()]);
        self.resource.get(k)?.map(|v| decode(&v)).transpose()
    }

    /// A product's resources, oldest first.
    pub fn resources(&self, product: ProductId) -> Result<Vec<Resource>, StoreError> {
        self.resource
            .scan_prefix(product.to_bytes())
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    /// Every resource of every product.
    pub fn all_resources(&self) -> Result<Vec<Resource>, StoreError> {
        self.resource.iter().values().map(|v| decode(&v?)).collect()
    }

    /// The resource that owns a route on a data plane.
    pub fn resource_by_route(
        &self,
        dataplane: &str,
        route: &str,
    ) -> Result<Option<Resource>, StoreError> {
        let Some(k) = self.resource_by_route.get(route_key(dataplane, route))? else {
            return Ok(None);
        };
        match self.resource.get(k)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn put_plan(
        &self,
        plan: &Plan,
        is_new: bool,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let value = encode(plan)?;
        let k = key::<32>(&[&plan.product.to_bytes(), &plan.id.to_bytes()]);
        self.audited(&[&self.plan], audit, |t| {
            let existed = t[0].insert(&k[..], value.clone())?.is_some();
            if existed == is_new {
                return abort(Conflict::Missing);
            }
            Ok(())
        })
    }

    pub fn plan(&self, product: ProductId, id: PlanId) -> Result<Option<Plan>, StoreError> {
        let k = key::<32>(&[&product.to_bytes(), &id.to_bytes()]);
        self.plan.get(k)?.map(|v| decode(&v)).transpose()
    }

    /// A product's plans, oldest first.
    pub fn plans(&self, product: ProductId) -> Result<Vec<Plan>, StoreError> {
        self.plan
            .scan_prefix(product.to_bytes())
            .values()
            .map(|v| decode(&v?))
            .collect()
    }
}
