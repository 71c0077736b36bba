//! The catalog's shapes: products, their resources and plans.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::expiry::ExpiryPolicy;
use crate::domain::product::Product;
use crate::domain::resource::{Plan, Quota, Resource};

use super::{Approval, AtExpiry, CredentialKind, FieldKind, ProductState, time, time_opt};

/// The requests a plan allows per minute and per day.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct QuotaView {
    /// Requests per minute; absent: no limit per minute.
    pub per_minute: Option<u32>,
    /// Requests per day; absent: no limit per day.
    pub per_day: Option<u32>,
}

impl From<Quota> for QuotaView {
    fn from(q: Quota) -> Self {
        Self {
            per_minute: q.per_minute,
            per_day: q.per_day,
        }
    }
}

/// A field a consumer fills in when requesting access.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldView {
    pub name: String,
    pub label: String,
    /// text, number, select or checkbox.
    #[schema(value_type = FieldKind)]
    pub kind: String,
    pub required: bool,
    pub options: Vec<String>,
    pub pattern: Option<String>,
    pub help: String,
}

/// A resource of a product: an API route the gateway serves.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceView {
    pub id: String,
    pub product: String,
    pub name: String,
    pub description: String,
    /// The route prefix the gateway matches, on whole segments.
    pub route: String,
    pub dataplane: String,
    /// api_key and/or oauth_client.
    #[schema(value_type = Vec<CredentialKind>)]
    pub credential_types: Vec<String>,
    /// automatic or manual.
    #[schema(value_type = Approval)]
    pub access_approval: String,
    /// What a consumer fills in when requesting access.
    pub fields: Vec<FieldView>,
    /// Its own credential lifetimes; absent: each plan's.
    pub expiry: Option<ExpiryView>,
}

/// How long credentials live, and what happens at expiry.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryView {
    /// The longest lifetime a consumer may choose, in days; absent: no limit.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub max_days: Option<u32>,
    /// The lifetime when none is chosen; absent: the longest, or never.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub default_days: Option<u32>,
    /// suspend (renewable) or deprovision (removed) at expiry; absent: suspend.
    #[serde(default)]
    #[schema(value_type = Option<AtExpiry>)]
    pub at_expiry: Option<String>,
}

impl From<ExpiryPolicy> for ExpiryView {
    fn from(p: ExpiryPolicy) -> Self {
        Self {
            max_days: p.max_days,
            default_days: p.default_days,
            at_expiry: Some(p.at_expiry.as_str().to_owned()),
        }
    }
}

impl ExpiryView {
    /// Its fields as a form types them: longest, default, at expiry.
    pub fn typed(&self) -> (String, String, String) {
        let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
        (
            days(self.max_days),
            days(self.default_days),
            self.at_expiry.clone().unwrap_or_default(),
        )
    }

    /// The policy it describes, with field errors as the forms give them.
    pub fn policy(&self) -> Result<ExpiryPolicy, Vec<crate::domain::FieldError>> {
        let (max, default, at) = self.typed();
        ExpiryPolicy::parse(&max, &default, &at)
    }
}

impl From<&Resource> for ResourceView {
    fn from(r: &Resource) -> Self {
        let s = &r.spec;
        Self {
            id: r.id.to_string(),
            product: r.product.to_string(),
            name: s.name.clone(),
            description: s.description.clone(),
            route: s.route.to_string(),
            dataplane: s.dataplane.clone(),
            credential_types: s
                .credential_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            access_approval: s.access_approval.as_str().to_owned(),
            fields: s
                .fields
                .iter()
                .map(|f| FieldView {
                    name: f.name.clone(),
                    label: f.label.clone(),
                    kind: f.kind.as_str().to_owned(),
                    required: f.required,
                    options: f.options.clone(),
                    pattern: f.pattern.clone(),
                    help: f.help.clone(),
                })
                .collect(),
            expiry: s.expiry.map(Into::into),
        }
    }
}

/// A plan of a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    pub product: String,
    pub name: String,
    pub description: String,
    /// The ids of the resources the plan includes.
    pub resources: Vec<String>,
    pub quota: QuotaView,
    /// automatic or manual: whether the provider approves subscriptions.
    #[schema(value_type = Approval)]
    pub approval: String,
    /// How long its credentials live (unless a resource sets its own).
    pub expiry: ExpiryView,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> Self {
        Self {
            id: p.id.to_string(),
            product: p.product.to_string(),
            name: p.spec.name.clone(),
            description: p.spec.description.clone(),
            resources: p.spec.resources.iter().map(|r| r.to_string()).collect(),
            quota: p.spec.quota.into(),
            approval: p.spec.approval.as_str().to_owned(),
            expiry: p.spec.expiry.into(),
        }
    }
}

/// A product with its resources and plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub tags: Vec<String>,
    /// draft, published or unpublished.
    #[schema(value_type = ProductState)]
    pub state: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    pub resources: Vec<ResourceView>,
    pub plans: Vec<PlanView>,
}

impl ProductView {
    pub fn of(p: &Product, resources: &[Resource], plans: &[Plan]) -> Self {
        Self {
            id: p.id.to_string(),
            provider: p.provider.to_string(),
            name: p.details.name.clone(),
            summary: p.details.summary.clone(),
            description: p.details.description.clone(),
            tags: p.details.tags.iter().map(|t| t.to_string()).collect(),
            state: p.state.as_str().to_owned(),
            created_at: time(p.created_at),
            published_at: time_opt(p.published_at),
            resources: resources.iter().map(ResourceView::from).collect(),
            plans: plans.iter().map(PlanView::from).collect(),
        }
    }
}
