//! Where a credential's record sits in the indexes.

use super::key;
use crate::clock::Timestamp;
use crate::domain::credential::{Credential, Desired};
use crate::domain::ids::{ApplicationId, CredentialId, ResourceId, TeamId};
use crate::domain::key_format::KeyId;

/// What a credential's record puts into the indexes, read from the record
/// alone (the rest is not decoded): its place in the two time-ordered
/// indexes — when its lifetime ends (while it is live) and when its next
/// reminder falls due — and its owners and key, which the other indexes
/// name. An update writes only the indexes whose keys changed.
#[derive(serde::Deserialize, Default, PartialEq)]
pub(super) struct Placed {
    #[serde(default)]
    expires_at: Option<Timestamp>,
    #[serde(default)]
    expired: bool,
    desired: Option<Desired>,
    #[serde(default)]
    next_reminder: Option<(u32, Timestamp)>,
    #[serde(default)]
    application: Option<ApplicationId>,
    #[serde(default)]
    resource: Option<ResourceId>,
    #[serde(default)]
    provider: Option<TeamId>,
    #[serde(default)]
    pub(super) key_id: Option<KeyId>,
}

impl Placed {
    pub(super) fn of(c: &Credential) -> Self {
        Self {
            expires_at: c.expires_at,
            expired: c.expired,
            desired: Some(c.desired),
            next_reminder: c.next_reminder,
            application: Some(c.application),
            resource: Some(c.resource),
            provider: Some(c.provider),
            key_id: Some(c.key_id),
        }
    }

    pub(super) fn expiry_key(&self, id: CredentialId) -> Option<[u8; 24]> {
        match (self.expires_at, self.expired, self.desired) {
            (Some(at), false, Some(Desired::Active | Desired::Inactive)) => Some(time_key(at, id)),
            _ => None,
        }
    }

    pub(super) fn reminder_key(&self, id: CredentialId) -> Option<[u8; 24]> {
        self.next_reminder.map(|(_, at)| time_key(at, id))
    }

    /// The keys of `credential_by_app`, `_by_resource` and `_by_provider`.
    pub(super) fn owner_keys(&self, id: CredentialId) -> Option<[[u8; 32]; 3]> {
        let id = id.to_bytes();
        Some([
            key::<32>(&[&self.application?.to_bytes(), &id]),
            key::<32>(&[&self.resource?.to_bytes(), &id]),
            key::<32>(&[&self.provider?.to_bytes(), &id]),
        ])
    }
}

/// A key of a time-ordered index: the moment, big-endian so the tree sorts
/// by it, then the credential.
fn time_key(at: Timestamp, id: CredentialId) -> [u8; 24] {
    let at = at.as_millis().max(0) as u64;
    key::<24>(&[&at.to_be_bytes(), &id.to_bytes()])
}
