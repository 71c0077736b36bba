//! What the API answers: one JSON shape per object, made from the domain's
//! records. Ids are ULIDs as text; times are RFC 3339 in UTC; states are
//! the lowercase words the pages show.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::access::AccessRequest;
use crate::domain::account::User;
use crate::domain::application::Application;
use crate::domain::audit::AuditRecord;
use crate::domain::credential::Credential;
use crate::domain::expiry::ExpiryPolicy;
use crate::domain::notification::Notification;
use crate::domain::product::Product;
use crate::domain::resource::{CredentialType, Plan, Quota, Resource};
use crate::domain::subscription::Subscription;
use crate::domain::team::{Membership, Team};

fn time(t: Timestamp) -> String {
    t.rfc3339()
}

fn time_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(time)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Whether the team may publish products.
    pub provider: bool,
    /// The caller's role in the team: admin, developer or viewer.
    pub role: String,
}

impl TeamView {
    pub fn of(t: &Team, role: &str) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.to_string(),
            description: t.description.clone(),
            provider: t.provider,
            role: role.to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub since: String,
}

impl MemberView {
    pub fn of(m: &Membership, u: &User) -> Self {
        Self {
            user: u.id.to_string(),
            name: u.display_name.to_string(),
            email: u.email.to_string(),
            role: m.role.as_str().to_owned(),
            since: time(m.since),
        }
    }
}

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

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldView {
    pub name: String,
    pub label: String,
    /// text, number, select or checkbox.
    pub kind: String,
    pub required: bool,
    pub options: Vec<String>,
    pub pattern: Option<String>,
    pub help: String,
}

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
    pub credential_types: Vec<String>,
    /// automatic or manual.
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
    pub state: String,
    pub created_at: String,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub team: String,
    pub provider: String,
    pub product: String,
    pub plan: String,
    /// requested, active, rejected or cancelled.
    pub state: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub ended_at: Option<String>,
    pub reason: Option<String>,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        Self {
            id: s.id.to_string(),
            team: s.team.to_string(),
            provider: s.provider.to_string(),
            product: s.product.to_string(),
            plan: s.plan.to_string(),
            state: s.state.as_str().to_owned(),
            created_at: time(s.created_at),
            decided_at: time_opt(s.decided_at),
            ended_at: time_opt(s.ended_at),
            reason: s.reason.as_ref().map(|r| r.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    pub team: String,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub archived_at: Option<String>,
}

impl From<&Application> for ApplicationView {
    fn from(a: &Application) -> Self {
        Self {
            id: a.id.to_string(),
            team: a.team.to_string(),
            name: a.details.name.clone(),
            description: a.details.description.clone(),
            created_at: time(a.created_at),
            archived_at: time_opt(a.archived_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessView {
    pub id: String,
    pub team: String,
    pub provider: String,
    pub application: String,
    pub product: String,
    pub resource: String,
    pub subscription: String,
    pub name: String,
    /// The values of the resource's fields, by field name.
    pub values: BTreeMap<String, String>,
    /// pending, approved, rejected or revoked.
    pub approval: String,
    /// none, pending, provisioned or failed.
    pub provisioning: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

impl From<&AccessRequest> for AccessView {
    fn from(a: &AccessRequest) -> Self {
        Self {
            id: a.id.to_string(),
            team: a.team.to_string(),
            provider: a.provider.to_string(),
            application: a.application.to_string(),
            product: a.product.to_string(),
            resource: a.resource.to_string(),
            subscription: a.subscription.to_string(),
            name: a.name.clone(),
            values: a.values.clone(),
            approval: a.approval.as_str().to_owned(),
            provisioning: a.provisioning.as_str().to_owned(),
            created_at: time(a.created_at),
            decided_at: time_opt(a.decided_at),
            reason: a.reason.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    pub id: String,
    pub team: String,
    pub application: String,
    pub access: String,
    pub product: String,
    pub resource: String,
    pub name: String,
    /// api_key or oauth_client.
    pub kind: String,
    /// The public key id (API keys) shown in lists and logs.
    pub key_id: String,
    /// The OAuth client id (OAuth clients).
    pub client_id: Option<String>,
    /// Pending, Active, Inactive, Expired, Deleting or Failed.
    pub state: String,
    /// What the user asked for: active, inactive or deleted.
    pub desired: String,
    /// Whether the data plane is still carrying out the last change.
    pub in_progress: bool,
    pub secret_version: u32,
    /// Until when View Credential (`reveal`) can show the secret.
    pub viewable_until: Option<String>,
    /// After a renewal: until when the previous secret keeps working.
    pub grace_until: Option<String>,
    pub created_at: String,
    pub renewed_at: Option<String>,
    /// The provider's reason for its last action.
    pub reason: Option<String>,
    /// The data plane's last error, while retrying or after giving up.
    pub last_error: Option<String>,
    /// When its lifetime ends; absent: never.
    pub expires_at: Option<String>,
    /// suspend or deprovision, at `expires_at`.
    pub at_expiry: Option<String>,
}

impl CredentialView {
    pub fn of(c: &Credential, now: Timestamp) -> Self {
        Self {
            id: c.id.to_string(),
            team: c.team.to_string(),
            application: c.application.to_string(),
            access: c.access.to_string(),
            product: c.product.to_string(),
            resource: c.resource.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str().to_owned(),
            key_id: c.key_id.to_string(),
            client_id: (c.kind == CredentialType::OauthClient).then(|| c.client_id()),
            state: c.state_name().to_owned(),
            desired: c.desired.to_string(),
            in_progress: c.task.is_some() && !c.failed,
            secret_version: c.secret_version,
            viewable_until: c.viewable(now).then(|| time_opt(c.window_until)).flatten(),
            grace_until: c.grace_until.filter(|g| *g > now).map(time),
            created_at: time(c.created_at),
            renewed_at: time_opt(c.renewed_at),
            reason: c.reason.clone(),
            last_error: c.last_error.clone(),
            expires_at: time_opt(c.expires_at),
            at_expiry: c.expires_at.map(|_| c.at_expiry.as_str().to_owned()),
        }
    }
}

/// A credential with the secret an operation just made: shown in this
/// answer only (`Cache-Control: no-store`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialWithSecret {
    #[serde(flatten)]
    pub credential: CredentialView,
    /// The full API key, or the OAuth client secret. Absent when the data
    /// plane or the provider makes it: `reveal` shows it once the
    /// credential is active.
    pub secret: Option<String>,
}

/// The clear secret, within its view window.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    pub credential: String,
    /// The full API key, or the OAuth client secret.
    pub secret: String,
    pub client_id: Option<String>,
    pub viewable_until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub at: String,
    pub text: String,
    /// The portal page it is about.
    pub link: String,
    pub read: bool,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id.to_string(),
            at: time(n.at),
            text: n.text.clone(),
            link: n.link.clone(),
            read: n.read,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    pub at: String,
    /// The person who acted; absent when Agora acted by itself.
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
}

impl From<&AuditRecord> for AuditView {
    fn from(a: &AuditRecord) -> Self {
        Self {
            id: a.id.to_string(),
            at: time(a.at),
            actor: a.actor.map(|u| u.to_string()),
            action: a.action.clone(),
            detail: a.detail.clone(),
        }
    }
}

/// A webhook endpoint (its signing secret is shown only when registered).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub team: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Since when every delivery has failed.
    pub failing_since: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_at: String,
}

impl From<&crate::domain::webhook::Endpoint> for EndpointView {
    fn from(e: &crate::domain::webhook::Endpoint) -> Self {
        Self {
            id: e.id.to_string(),
            team: e.team.to_string(),
            url: e.url.clone(),
            events: e.events.clone(),
            enabled: e.enabled,
            failing_since: time_opt(e.failing_since),
            disabled_reason: e.disabled_reason.clone(),
            created_at: time(e.created_at),
        }
    }
}

/// A new endpoint with its signing secret, shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_…`: verifies the `webhook-signature` of each call.
    pub secret: String,
}

/// One delivery to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also its `webhook-id` (with `msg_` before it).
    pub id: String,
    pub event: String,
    /// due, delivered or failed.
    pub state: String,
    pub attempts: u32,
    /// The HTTP status of the last attempt.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub done_at: Option<String>,
}

impl From<&crate::domain::delivery::Delivery> for DeliveryView {
    fn from(d: &crate::domain::delivery::Delivery) -> Self {
        use crate::domain::delivery::{Channel, DeliveryState};
        Self {
            id: d.id.to_string(),
            event: match &d.channel {
                Channel::Webhook(c) => c.event.clone(),
                Channel::Email(_) => "email".to_owned(),
            },
            state: d.state.as_str().to_owned(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            next_attempt_at: (d.state == DeliveryState::Due).then(|| time(d.next_at)),
            created_at: time(d.created_at),
            done_at: time_opt(d.done_at),
        }
    }
}
