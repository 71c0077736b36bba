//! What the gateway's index holds per credential, token, access grant and
//! subscription window: the few fields a call checks, kept small so that
//! 100,000 credentials stay in memory.

use std::sync::atomic::AtomicI64;

use crate::clock::Timestamp;
use crate::crypto::digest::{constant_time_eq, hmac_sha256};
use crate::domain::ids::{ApplicationId, CredentialId, ResourceId, SubscriptionId, TeamId};
use crate::domain::key_format::KeyId;
use crate::domain::outbox::AccessGrant;
use crate::domain::resource::{CredentialType, Quota};
use crate::domain::usage::Meter;
use crate::store::EmbeddedCredential;

/// A credential the embedded data plane holds: what a call checks, and no
/// more (100,000 of them stay in memory).
pub(super) struct Entry {
    pub(super) credential: CredentialId,
    pub(super) key_id: KeyId,
    pub(super) kind: CredentialType,
    pub(super) active: bool,
    pub(super) secret_version: u32,
    pub(super) team: TeamId,
    pub(super) application: ApplicationId,
    pub(super) resource: ResourceId,
    pub(super) hash: [u8; 32],
    pub(super) previous: Option<([u8; 32], Timestamp)>,
    /// Milliseconds of the last authorised call; 0: never.
    pub(super) last_used: AtomicI64,
    /// The last-used time already written to storage.
    pub(super) stored_last_used: AtomicI64,
}

fn unhex32(h: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(b) = hex::decode(h) {
        let n = b.len().min(32);
        out[..n].copy_from_slice(&b[..n]);
    }
    out
}

impl Entry {
    pub(super) fn new(record: EmbeddedCredential) -> Self {
        Self {
            credential: record.credential,
            key_id: record.key_id,
            kind: record.kind,
            active: record.active,
            secret_version: record.secret_version,
            team: record.team,
            application: record.application,
            resource: record.resource,
            // Binary only: the hex text would double their memory.
            hash: unhex32(&record.hash),
            previous: record.previous.map(|(h, until)| (unhex32(&h), until)),
            last_used: AtomicI64::new(0),
            stored_last_used: AtomicI64::new(0),
        }
    }

    /// The secret version `secret` is: this credential's current one, or
    /// its previous one within the grace period; `None` for neither.
    pub(super) fn accepts(&self, pepper: &[u8; 32], secret: &str, now: Timestamp) -> Option<u32> {
        let presented = hmac_sha256(pepper, &[secret.as_bytes()]);
        if constant_time_eq(&presented, &self.hash) {
            return Some(self.secret_version);
        }
        self.previous
            .is_some_and(|(h, until)| now < until && constant_time_eq(&presented, &h))
            .then(|| self.secret_version.saturating_sub(1))
    }

    /// What a call with secret `version` is counted under.
    pub(super) fn meter(&self, version: u32) -> Meter {
        Meter {
            team: self.team,
            application: self.application,
            credential: self.credential,
            resource: self.resource,
            secret_version: version,
        }
    }
}

pub(super) struct Token {
    pub(super) key_id: KeyId,
    pub(super) secret_version: u32,
    /// The secret version the client authenticated with (the previous
    /// one, during a renewal's grace): what its calls are counted under.
    pub(super) used_version: u32,
    pub(super) expires: Timestamp,
}

#[derive(Default)]
pub(super) struct Window {
    pub(super) minute: i64,
    pub(super) minute_count: u32,
    pub(super) day: i64,
    pub(super) day_count: u32,
}

/// The part of an access grant a call checks.
#[derive(Clone, Copy)]
pub(super) struct Limit {
    pub(super) quota: Quota,
    pub(super) subscription: Option<SubscriptionId>,
}

impl Limit {
    pub(super) fn of(grant: &AccessGrant) -> Self {
        Self {
            quota: grant.quota,
            subscription: grant.subscription,
        }
    }
}
