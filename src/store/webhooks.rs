//! Teams' webhook endpoints, kept in memory as well (every commit asks
//! which endpoints want its events), and the webhook calls a commit's
//! audit records become.

use std::collections::HashMap;
use std::sync::RwLock;

use serde_json::json;

use super::codec::{decode, encode};
use super::work::Changes;
use super::{Store, StoreError, key};
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::delivery::{Call, Channel, Delivery};
use crate::domain::ids::{EndpointId, TeamId};
use crate::domain::webhook::{Endpoint, event_of};

/// Each team's endpoints.
#[derive(Default)]
pub(super) struct Hooks(RwLock<HashMap<TeamId, Vec<Endpoint>>>);

impl Hooks {
    pub(super) fn load(tree: &sled::Tree) -> Result<Self, StoreError> {
        let mut map: HashMap<TeamId, Vec<Endpoint>> = HashMap::new();
        for v in tree.iter().values() {
            let e: Endpoint = decode(&v?)?;
            map.entry(e.team).or_default().push(e);
        }
        Ok(Self(RwLock::new(map)))
    }

    fn wanting(&self, team: TeamId, event: &str) -> Vec<EndpointId> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        map.get(&team)
            .map(|list| {
                list.iter()
                    .filter(|e| e.wants(event))
                    .map(|e| e.id)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn put(&self, e: &Endpoint) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(e.team).or_default();
        list.retain(|o| o.id != e.id);
        list.push(e.clone());
    }

    fn remove(&self, team: TeamId, id: EndpointId) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = map.get_mut(&team) {
            list.retain(|o| o.id != id);
        }
    }
}

impl Store {
    pub fn put_endpoint(&self, e: &Endpoint) -> Result<(), StoreError> {
        let _writing = self.writing();
        let id = e.id.to_bytes();
        self.webhook_endpoint.insert(id, encode(e)?)?;
        self.webhook_endpoint_by_team
            .insert(key::<32>(&[&e.team.to_bytes(), &id]), &[])?;
        self.hooks.put(e);
        Ok(())
    }

    pub fn remove_endpoint(&self, e: &Endpoint) -> Result<(), StoreError> {
        let _writing = self.writing();
        let id = e.id.to_bytes();
        self.webhook_endpoint.remove(id)?;
        self.webhook_endpoint_by_team
            .remove(key::<32>(&[&e.team.to_bytes(), &id]))?;
        self.hooks.remove(e.team, e.id);
        Ok(())
    }

    pub fn endpoint(&self, id: EndpointId) -> Result<Option<Endpoint>, StoreError> {
        self.webhook_endpoint
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// A team's endpoints, oldest first.
    pub fn endpoints_of(&self, team: TeamId) -> Result<Vec<Endpoint>, StoreError> {
        let mut out = Vec::new();
        for k in self
            .webhook_endpoint_by_team
            .scan_prefix(team.to_bytes())
            .keys()
        {
            if let Some(id) = EndpointId::from_bytes(&k?[16..]) {
                out.extend(self.endpoint(id)?);
            }
        }
        Ok(out)
    }

    /// The webhook calls a commit's audit records become: each event goes
    /// to the endpoints of the team that acted and of the provider team
    /// concerned that chose its type.
    pub(super) fn events_for(
        &self,
        changes: &Changes<'_>,
        audits: &[AuditRecord],
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for a in audits {
            let Some(event) = event_of(&a.action) else {
                continue;
            };
            let (provider, consumer) = (provider_of(changes, a), a.team);
            let mut teams: Vec<TeamId> = consumer.into_iter().chain(provider).collect();
            teams.dedup();
            let wanting: Vec<EndpointId> = teams
                .into_iter()
                .flat_map(|t| self.hooks.wanting(t, event))
                .collect();
            // Most commits have no endpoint to tell: no event body is built.
            if wanting.is_empty() {
                continue;
            }
            let data = match a.subject {
                Some(Subject::Endpoint(id)) => json!({
                    "endpoint": id.to_string(), "team": a.team.map(|t| t.to_string()),
                    "url": self.endpoint(id)?.map(|e| e.url), "detail": a.detail,
                }),
                _ => subject_data(changes, a).0,
            };
            {
                for endpoint in wanting {
                    let body = json!({
                        "type": event,
                        "timestamp": a.at.rfc3339(),
                        "data": data,
                    })
                    .to_string();
                    let call = Call {
                        endpoint,
                        event: event.to_owned(),
                        body,
                    };
                    out.push(Delivery::new(Channel::Webhook(call), a.at));
                }
            }
        }
        Ok(out)
    }
}

/// The provider team an audit record's subject belongs to, from the changes.
fn provider_of(changes: &Changes<'_>, a: &AuditRecord) -> Option<TeamId> {
    match a.subject {
        Some(Subject::Credential(id)) => (changes.credentials.iter())
            .chain(&changes.removed_credentials)
            .find(|c| c.id == id)
            .map(|c| c.provider),
        Some(Subject::Access(id)) => (changes.accesses.iter())
            .chain(&changes.new_accesses)
            .find(|r| r.id == id)
            .map(|r| r.provider),
        Some(Subject::Subscription(id)) => changes
            .subscription
            .filter(|s| s.id == id)
            .map(|s| s.provider),
        _ => None,
    }
}

/// What an event says of its subject (never a secret), and the provider
/// team concerned.
fn subject_data(changes: &Changes<'_>, a: &AuditRecord) -> (serde_json::Value, Option<TeamId>) {
    let team = a.team.map(|t| t.to_string());
    match a.subject {
        Some(Subject::Credential(id)) => {
            let c = (changes.credentials.iter())
                .chain(&changes.removed_credentials)
                .find(|c| c.id == id);
            match c {
                Some(c) => (
                    json!({
                        "credential": c.id.to_string(), "team": team, "name": c.name,
                        "application": c.application.to_string(), "product": c.product.to_string(),
                        "resource": c.resource.to_string(), "kind": c.kind.as_str(),
                        "key_id": c.key_id.to_string(), "state": c.state_name(),
                        "expires_at": c.expires_at.map(|t| t.rfc3339()), "detail": a.detail,
                    }),
                    Some(c.provider),
                ),
                None => (
                    json!({"credential": id.to_string(), "team": team, "detail": a.detail}),
                    None,
                ),
            }
        }
        Some(Subject::Access(id)) => {
            let r = (changes.accesses.iter())
                .chain(&changes.new_accesses)
                .find(|r| r.id == id);
            match r {
                Some(r) => (
                    json!({
                        "access": r.id.to_string(), "team": team, "name": r.name,
                        "application": r.application.to_string(), "product": r.product.to_string(),
                        "resource": r.resource.to_string(), "subscription": r.subscription.to_string(),
                        "approval": r.approval.as_str(), "detail": a.detail,
                    }),
                    Some(r.provider),
                ),
                None => (
                    json!({"access": id.to_string(), "team": team, "detail": a.detail}),
                    None,
                ),
            }
        }
        Some(Subject::Subscription(id)) => match changes.subscription.filter(|s| s.id == id) {
            Some(s) => (
                json!({
                    "subscription": s.id.to_string(), "team": s.team.to_string(),
                    "product": s.product.to_string(), "plan": s.plan.to_string(),
                    "state": s.state.as_str(), "detail": a.detail,
                }),
                Some(s.provider),
            ),
            None => (
                json!({"subscription": id.to_string(), "team": team, "detail": a.detail}),
                None,
            ),
        },
        _ => (json!({"team": team, "detail": a.detail}), None),
    }
}
