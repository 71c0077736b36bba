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
use crate::domain::notification::Notification;
use crate::domain::subscription::Subscription;
use crate::domain::team::{Membership, Team};

mod catalog;
mod credentials;
mod sets;

pub use catalog::*;
pub use credentials::*;
pub use sets::*;

fn time(t: Timestamp) -> String {
    t.rfc3339()
}

fn time_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(time)
}

/// A team, with the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Whether the team may publish products.
    pub provider: bool,
    /// The caller's role in the team: admin, developer or viewer.
    #[schema(value_type = Role)]
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

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user: String,
    pub name: String,
    #[schema(format = Email)]
    pub email: String,
    #[schema(value_type = Role)]
    pub role: String,
    #[schema(format = DateTime)]
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

/// A team's subscription to a plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01KDVDNA00ZT90V4RXTAXW1F9Q", "team": "01KDVDNA00YGPK09QR9JGHPMRC", "provider": "01KDVDNA00ZT90V4RXTAXW1F9A", "product": "01KDVDNA00ZT90V4RXTAXW1F9K", "plan": "01KDVDNA00ZT90V4RXTAXW1F9P", "state": "active", "created_at": "2026-01-01T00:00:00.000Z", "decided_at": "2026-01-01T00:00:00.000Z", "ended_at": null, "reason": null}))]
pub struct SubscriptionView {
    pub id: String,
    pub team: String,
    pub provider: String,
    pub product: String,
    pub plan: String,
    /// requested, active, rejected or cancelled.
    #[schema(value_type = SubscriptionState)]
    pub state: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    #[schema(format = DateTime)]
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

/// An application of a team.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01KDVDNA00ZT90V4RXTAXW1F7E", "team": "01KDVDNA00YGPK09QR9JGHPMRC", "name": "Checkout", "description": "The web shop's checkout service", "created_at": "2026-01-01T00:00:00.000Z", "archived_at": null}))]
pub struct ApplicationView {
    pub id: String,
    pub team: String,
    pub name: String,
    pub description: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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

/// An access request of an application for one resource.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01KDVDNA00ZT90V4RXTAXW1FA2", "team": "01KDVDNA00YGPK09QR9JGHPMRC", "provider": "01KDVDNA00ZT90V4RXTAXW1F9A", "application": "01KDVDNA00ZT90V4RXTAXW1F7E", "product": "01KDVDNA00ZT90V4RXTAXW1F9K", "resource": "01KDVDNA00ZT90V4RXTAXW1F9N", "subscription": "01KDVDNA00ZT90V4RXTAXW1F9Q", "name": "Checkout – Forecasts", "values": {"region": "eu"}, "approval": "approved", "provisioning": "provisioned", "created_at": "2026-01-01T00:00:00.000Z", "decided_at": "2026-01-01T00:00:00.000Z", "reason": null}))]
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
    #[schema(value_type = AccessApproval)]
    pub approval: String,
    /// none, pending, provisioned or failed.
    #[schema(value_type = Provisioning)]
    pub provisioning: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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

/// A notification of the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub text: String,
    /// The portal page it is about.
    #[schema(format = UriReference)]
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

/// One record of a team's audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    #[schema(format = DateTime)]
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
    #[schema(format = Uri)]
    pub url: String,
    #[schema(value_type = Vec<EventType>)]
    pub events: Vec<String>,
    pub enabled: bool,
    /// Since when every delivery has failed.
    #[schema(format = DateTime)]
    pub failing_since: Option<String>,
    pub disabled_reason: Option<String>,
    #[schema(format = DateTime)]
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
    #[schema(value_type = DeliveryState)]
    pub state: String,
    pub attempts: u32,
    /// The HTTP status of the last attempt.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
