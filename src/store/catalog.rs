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

tx_trees! {
    /// A product and its provider's index.
    ProductRecord { product, product_by_provider }
}

tx_trees! {
    /// A resource and the route it claims.
    ResourceRecord { resource, resource_by_route }
}

tx_trees! {
    /// A plan.
    PlanRecord { plan }
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
        self.audited(&ProductRecord::trees(self), audit, |t| {
            let v = ProductRecord::of(t);
            let existed = v.product.insert(&id, value.clone())?.is_some();
            if existed == is_new {
                return abort(Conflict::Missing);
            }
            v.product_by_provider.insert(&by_provider[..], &[])?;
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

    /// A route of another product on the same data plane that lies inside
    /// this resource's route, or that this route lies inside.
    fn overlapping_route(&self, resource: &Resource) -> Result<Option<String>, StoreError> {
        let (plane, route) = (&resource.spec.dataplane, resource.spec.route.as_str());
        let foreign = |owner: &[u8]| owner.get(..16) != Some(&resource.product.to_bytes()[..]);
        // Routes above it: each shorter prefix ending in `/`.
        for (i, _) in route.match_indices('/').skip(1) {
            let above = &route[..=i];
            if above.len() < route.len()
                && let Some(owner) = self.resource_by_route.get(route_key(plane, above))?
                && foreign(&owner)
            {
                return Ok(Some(above.to_owned()));
            }
        }
        // Routes below it (and itself, which the claim checks exactly).
        let start = route_key(plane, route);
        for kv in self.resource_by_route.scan_prefix(&start) {
            let (k, owner) = kv?;
            if k.len() > start.len() && foreign(&owner) {
                return Ok(Some(
                    String::from_utf8_lossy(&k[plane.len() + 1..]).into_owned(),
                ));
            }
        }
        Ok(None)
    }

    /// Creates or replaces a resource. Its route must be free on its data
    /// plane, and neither inside nor around another product's route there;
    /// a changed route releases the old one.
    pub fn put_resource(
        &self,
        resource: &Resource,
        previous: Option<&Resource>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        // A poisoned lock guards nothing but the order of claims.
        let _claims = self.route_claims.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(other) = self.overlapping_route(resource)? {
            return Err(StoreError::Conflict(Conflict::RouteNested {
                route: resource.spec.route.to_string(),
                other,
                dataplane: resource.spec.dataplane.clone(),
            }));
        }
        let value = encode(resource)?;
        let k = key::<32>(&[&resource.product.to_bytes(), &resource.id.to_bytes()]);
        let spec = &resource.spec;
        let route = route_key(&spec.dataplane, spec.route.as_str());
        let old_route = previous.map(|p| route_key(&p.spec.dataplane, p.spec.route.as_str()));
        self.audited(&ResourceRecord::trees(self), audit, |t| {
            let v = ResourceRecord::of(t);
            let (resources, by_route) = (v.resource, v.resource_by_route);
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
        self.audited(&PlanRecord::trees(self), audit, |t| {
            let existed = PlanRecord::of(t)
                .plan
                .insert(&k[..], value.clone())?
                .is_some();
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
