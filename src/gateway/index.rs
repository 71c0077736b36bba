//! The embedded gateway's in-memory index: what `/gateway/authorize`
//! checks, without reading storage on the request path.
//!
//! Three sources feed it: the embedded data plane's records (credentials and
//! access grants, updated as tasks are carried out), the portal's desired
//! state of each credential (updated by the team actor as soon as a change is
//! committed, so a suspension or deletion holds on the very next call), and
//! the resources' routes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::entry::{Entry, Limit, Token, Window};
use super::usage::Recorder;
use crate::clock::{SharedClock, Timestamp};
use crate::config::EMBEDDED_DATAPLANE;
use crate::crypto::digest::sha256;
use crate::domain::credential::{Desired, Wanted};
use crate::domain::ids::{ApplicationId, CredentialId, ResourceId, SubscriptionId, TeamId};
use crate::domain::key_format::{self, KeyId, KeyRejection};
use crate::domain::path::CanonicalPath;
use crate::domain::resource::{CredentialType, Quota};
use crate::domain::usage::Outcome;
use crate::store::{EmbeddedChange, Store, StoreError};

/// Why a call is refused, and how to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 401: no credential, a malformed or unknown one, or a deleted one.
    Unauthenticated(&'static str),
    /// 403: suspended, no access to the resource, or a path read as ambiguous.
    Forbidden(&'static str),
    /// 400: the proxy did not send what its configuration must (a deployment error).
    BadRequest(&'static str),
    /// 429: the plan's quota is spent; retry after this many seconds.
    QuotaSpent(u64),
}

/// Who the call is from, for the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub team: TeamId,
    pub application: ApplicationId,
    pub credential: CredentialId,
    pub key_id: KeyId,
}

/// What the caller presented.
pub enum Presented<'a> {
    ApiKey(&'a str),
    Token(&'a str),
}

/// Which resource the call is for.
pub enum Target {
    Resource(ResourceId),
    Path(CanonicalPath),
}

const SHARDS: usize = 16;

pub struct Gateway {
    pepper: [u8; 32],
    clock: SharedClock,
    credentials: RwLock<HashMap<KeyId, Arc<Entry>>>,
    /// What a call needs of each access grant: its quota and the subscription it counts against.
    grants: RwLock<HashMap<(ApplicationId, ResourceId), Limit>>,
    desired: RwLock<HashMap<KeyId, Wanted>>,
    /// Route prefixes of published resources on the embedded data plane, longest first.
    routes: RwLock<Vec<(String, ResourceId)>>,
    tokens: Mutex<HashMap<[u8; 32], Token>>,
    /// Tokens issued, to prune expired ones every so often.
    issued: std::sync::atomic::AtomicU64,
    quota: [Mutex<HashMap<SubscriptionId, Window>>; SHARDS],
    /// The calls decided, counted until the usage job writes them.
    pub usage: Recorder,
}

impl Gateway {
    /// Builds the index from storage.
    pub fn load(store: &Store, clock: SharedClock, pepper: [u8; 32]) -> Result<Self, StoreError> {
        let g = Self {
            pepper,
            clock,
            credentials: RwLock::default(),
            grants: RwLock::default(),
            desired: RwLock::default(),
            routes: RwLock::default(),
            tokens: Mutex::default(),
            issued: Default::default(),
            quota: Default::default(),
            usage: Recorder::default(),
        };
        // Read one record at a time: a list of all 100,000 first would
        // leave the allocator holding its memory long after.
        {
            let mut creds = write(&g.credentials);
            for c in store.embedded_credentials() {
                let entry = Entry::new(c?);
                creds.insert(entry.key_id, Arc::new(entry));
            }
            for t in store.last_used_times() {
                let (key_id, at) = t?;
                if let Some(entry) = creds.get(&key_id) {
                    entry.last_used.store(at.as_millis(), Ordering::Relaxed);
                    entry
                        .stored_last_used
                        .store(at.as_millis(), Ordering::Relaxed);
                }
            }
        }
        {
            let mut grants = write(&g.grants);
            for grant in store.embedded_grants() {
                let grant = grant?;
                grants.insert((grant.application, grant.resource), Limit::of(&grant));
            }
        }
        {
            let mut desired = write(&g.desired);
            for d in store.desired_states() {
                let (key_id, wanted) = d?;
                desired.insert(key_id, wanted);
            }
        }
        g.refresh_routes(store)?;
        Ok(g)
    }

    /// Re-reads the routes of the embedded data plane's resources. Only
    /// published products' resources take part: a draft's route answers
    /// "unknown resource" and never takes calls from a published one.
    pub fn refresh_routes(&self, store: &Store) -> Result<(), StoreError> {
        let mut published = HashMap::new();
        let mut routes = Vec::new();
        for r in store.all_resources()? {
            if r.spec.dataplane != EMBEDDED_DATAPLANE {
                continue;
            }
            let live = match published.get(&r.product) {
                Some(live) => *live,
                None => {
                    let live = store.product(r.product)?.is_some_and(|p| p.is_published());
                    published.insert(r.product, live);
                    live
                }
            };
            if live {
                routes.push((r.spec.route.to_string(), r.id));
            }
        }
        routes.sort_by_key(|(route, _)| std::cmp::Reverse(route.len()));
        *write(&self.routes) = routes;
        Ok(())
    }

    /// Takes in what the embedded data plane just changed.
    pub fn apply(&self, change: EmbeddedChange) {
        match change {
            EmbeddedChange::Grant(g) => {
                write(&self.grants).insert((g.application, g.resource), Limit::of(&g));
            }
            EmbeddedChange::Revoke(app, resource) => {
                write(&self.grants).remove(&(app, resource));
            }
            EmbeddedChange::Credential(c) => {
                let entry = Entry::new(c);
                let mut creds = write(&self.credentials);
                if let Some(old) = creds.get(&entry.key_id) {
                    entry
                        .last_used
                        .store(old.last_used.load(Ordering::Relaxed), Ordering::Relaxed);
                    entry.stored_last_used.store(
                        old.stored_last_used.load(Ordering::Relaxed),
                        Ordering::Relaxed,
                    );
                }
                creds.insert(entry.key_id, Arc::new(entry));
            }
            EmbeddedChange::CredentialRemoved(key_id) => {
                write(&self.credentials).remove(&key_id);
            }
            EmbeddedChange::Nothing => {}
        }
    }

    /// Ends a renewal's grace period: the previous secret is refused from the
    /// next call on, before the data plane's own record changes.
    pub fn end_grace(&self, key_id: &KeyId) {
        let mut creds = write(&self.credentials);
        let Some(old) = creds.get(key_id) else {
            return;
        };
        if old.previous.is_none() {
            return;
        }
        let entry = Entry {
            credential: old.credential,
            key_id: old.key_id,
            kind: old.kind,
            active: old.active,
            secret_version: old.secret_version,
            team: old.team,
            application: old.application,
            resource: old.resource,
            hash: old.hash,
            previous: None,
            last_used: AtomicI64::new(old.last_used.load(Ordering::Relaxed)),
            stored_last_used: AtomicI64::new(old.stored_last_used.load(Ordering::Relaxed)),
        };
        creds.insert(*key_id, Arc::new(entry));
    }

    /// What the portal wants for a credential; holds from the next call on.
    pub fn set_desired(&self, key_id: &KeyId, desired: Option<Wanted>) {
        let mut map = write(&self.desired);
        match desired {
            Some(d) => map.insert(*key_id, d),
            None => map.remove(key_id),
        };
    }

    fn entry(&self, key_id: &KeyId) -> Option<Arc<Entry>> {
        read(&self.credentials).get(key_id).cloned()
    }

    fn resolve(&self, target: &Target) -> Option<ResourceId> {
        match target {
            // A resource named by the proxy still has to be routed (published).
            Target::Resource(id) => read(&self.routes)
                .iter()
                .any(|(_, r)| r == id)
                .then_some(*id),
            Target::Path(path) => read(&self.routes)
                .iter()
                .find(|(route, _)| path.is_under(route))
                .map(|(_, id)| *id),
        }
    }

    /// Decides a call: who it is from, or why it is refused. A call that
    /// names a credential is counted for it, allowed or refused.
    pub fn authorize(
        &self,
        presented: Option<Presented<'_>>,
        target: Target,
    ) -> Result<Allowed, Refusal> {
        let now = self.clock.now();
        let (result, counted) = self.decide(presented, target, now);
        if let Some((entry, version, outcome)) = counted {
            self.usage.count(entry.meter(version), now, outcome);
        }
        result
    }

    /// The decision, and what to count it as: the credential it names, the
    /// secret version presented, and the outcome.
    #[allow(clippy::type_complexity)]
    fn decide(
        &self,
        presented: Option<Presented<'_>>,
        target: Target,
        now: Timestamp,
    ) -> (Result<Allowed, Refusal>, Option<(Arc<Entry>, u32, Outcome)>) {
        let (entry, version) = match presented {
            None => return (Err(Refusal::Unauthenticated("no credential")), None),
            Some(Presented::ApiKey(key)) => {
                let (key_id, secret) = match key_format::parse_api_key(key) {
                    Ok(parsed) => parsed,
                    Err(KeyRejection::Malformed) => {
                        return (Err(Refusal::Unauthenticated("malformed key")), None);
                    }
                    Err(KeyRejection::BadChecksum) => {
                        return (Err(Refusal::Unauthenticated("mistyped key")), None);
                    }
                };
                let Some(entry) = self.entry(&key_id) else {
                    return (Err(Refusal::Unauthenticated("unknown key")), None);
                };
                let used = (entry.kind == CredentialType::ApiKey)
                    .then(|| entry.accepts(&self.pepper, secret, now))
                    .flatten();
                let Some(version) = used else {
                    // A wrong or retired secret of a known credential: worth
                    // counting, it is what a rotation left behind shows.
                    let v = entry.secret_version;
                    return (
                        Err(Refusal::Unauthenticated("unknown key")),
                        Some((entry, v, Outcome::UnknownKey)),
                    );
                };
                (entry, version)
            }
            Some(Presented::Token(token)) => {
                let digest = sha256(token.as_bytes());
                let found = {
                    let tokens = lock(&self.tokens);
                    tokens
                        .get(&digest)
                        .map(|t| (t.key_id, t.secret_version, t.used_version, t.expires))
                };
                let Some((key_id, version, used, expires)) = found else {
                    return (Err(Refusal::Unauthenticated("unknown token")), None);
                };
                if now >= expires {
                    return (Err(Refusal::Unauthenticated("expired token")), None);
                }
                let Some(entry) = self.entry(&key_id) else {
                    return (Err(Refusal::Unauthenticated("unknown token")), None);
                };
                if entry.secret_version != version {
                    return (
                        Err(Refusal::Unauthenticated("token of a renewed credential")),
                        Some((entry, used, Outcome::UnknownKey)),
                    );
                }
                (entry, used)
            }
        };
        let refuse = |refusal: Refusal, outcome: Outcome| {
            (Err(refusal), Some((entry.clone(), version, outcome)))
        };
        let c = &*entry;
        let wanted = read(&self.desired).get(&c.key_id).copied();
        match wanted {
            // From the instant of expiry, whatever the sweep has done yet.
            Some(w)
                if w.expires_at.is_some_and(|at| at <= now) && w.desired != Desired::Deleted =>
            {
                return refuse(Refusal::Forbidden("credential expired"), Outcome::Expired);
            }
            Some(Wanted {
                desired: Desired::Active,
                ..
            }) => {}
            Some(Wanted {
                desired: Desired::Inactive,
                expired: true,
                ..
            }) => {
                return refuse(Refusal::Forbidden("credential expired"), Outcome::Expired);
            }
            Some(Wanted {
                desired: Desired::Inactive,
                ..
            }) => {
                return refuse(
                    Refusal::Forbidden("credential suspended"),
                    Outcome::Suspended,
                );
            }
            Some(Wanted {
                desired: Desired::Deleted,
                ..
            })
            | None => {
                return refuse(
                    Refusal::Unauthenticated("credential deleted"),
                    Outcome::UnknownKey,
                );
            }
        }
        if !c.active {
            return refuse(
                Refusal::Forbidden("credential suspended"),
                Outcome::Suspended,
            );
        }
        let Some(resource) = self.resolve(&target) else {
            return refuse(
                Refusal::Forbidden("unknown resource"),
                Outcome::WrongResource,
            );
        };
        if resource != c.resource {
            return refuse(
                Refusal::Forbidden("no access to this resource"),
                Outcome::NoAccess,
            );
        }
        let limit = read(&self.grants).get(&(c.application, resource)).copied();
        let Some(Limit {
            quota,
            subscription,
        }) = limit
        else {
            return refuse(
                Refusal::Forbidden("no access to this resource"),
                Outcome::NoAccess,
            );
        };
        if let Some(sub) = subscription
            && !quota.is_unlimited()
            && let Err(r) = self.spend(sub, quota, now)
        {
            return refuse(r, Outcome::QuotaSpent);
        }
        entry.last_used.store(now.as_millis(), Ordering::Relaxed);
        let allowed = Allowed {
            team: c.team,
            application: c.application,
            credential: c.credential,
            key_id: c.key_id,
        };
        (
            Ok(allowed),
            Some((entry.clone(), version, Outcome::Allowed)),
        )
    }

    /// Counts a call against the subscription's quota (fixed minute and day windows).
    fn spend(&self, sub: SubscriptionId, quota: Quota, now: Timestamp) -> Result<(), Refusal> {
        let ms = now.as_millis();
        let (minute, day) = (ms / 60_000, ms / 86_400_000);
        let shard = sub.to_bytes()[15] as usize % SHARDS;
        let mut windows = lock(&self.quota[shard]);
        let w = windows.entry(sub).or_default();
        if w.minute != minute {
            w.minute = minute;
            w.minute_count = 0;
        }
        if w.day != day {
            w.day = day;
            w.day_count = 0;
        }
        if let Some(limit) = quota.per_minute
            && w.minute_count >= limit
        {
            let wait = ((minute + 1) * 60_000 - ms).max(1_000) / 1_000;
            return Err(Refusal::QuotaSpent(wait as u64));
        }
        if let Some(limit) = quota.per_day
            && w.day_count >= limit
        {
            let wait = ((day + 1) * 86_400_000 - ms).max(1_000) / 1_000;
            return Err(Refusal::QuotaSpent(wait as u64));
        }
        w.minute_count += 1;
        w.day_count += 1;
        Ok(())
    }

    /// OAuth client credentials → a short-lived opaque token, or `None`.
    pub fn issue_token(
        &self,
        client_id: &str,
        secret: &str,
        ttl: std::time::Duration,
    ) -> Option<(String, u64)> {
        let key_id = key_format::parse_client_id(client_id)?;
        if !key_format::is_client_secret(secret) {
            return None;
        }
        let now = self.clock.now();
        let entry = self.entry(&key_id)?;
        if entry.kind != CredentialType::OauthClient {
            return None;
        }
        let used = entry.accepts(&self.pepper, secret, now)?;
        let live = read(&self.desired).get(&key_id).is_some_and(|w| {
            w.desired == Desired::Active && !w.expired && w.expires_at.is_none_or(|at| now < at)
        });
        if !live || !entry.active {
            return None;
        }
        let token = format!("agt_{}", crate::crypto::random::token());
        let mut tokens = lock(&self.tokens);
        // Expired tokens are dropped now and then, not on every issue: the
        // sweep over all tokens would make each issue cost grow with their number.
        if self
            .issued
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1_024)
        {
            tokens.retain(|_, t| t.expires > now);
        }
        tokens.insert(
            sha256(token.as_bytes()),
            Token {
                key_id,
                secret_version: entry.secret_version,
                used_version: used,
                expires: now.plus(ttl),
            },
        );
        Some((token, ttl.as_secs()))
    }

    /// When a credential this gateway checks was last used (`Some(None)`:
    /// never); `None` when the gateway does not know the credential. Loaded
    /// from storage at start, so a known credential needs no storage read.
    pub fn last_used(&self, key_id: &KeyId) -> Option<Option<Timestamp>> {
        let ms = read(&self.credentials)
            .get(key_id)?
            .last_used
            .load(Ordering::Relaxed);
        Some((ms > 0).then(|| Timestamp::from_millis(ms)))
    }

    /// Last-used times not yet written to storage; marks them written.
    pub fn take_last_used(&self) -> Vec<(KeyId, Timestamp)> {
        read(&self.credentials)
            .values()
            .filter_map(|e| {
                let at = e.last_used.load(Ordering::Relaxed);
                let stored = e.stored_last_used.swap(at, Ordering::Relaxed);
                (at > stored).then(|| (e.key_id, Timestamp::from_millis(at)))
            })
            .collect()
    }

    pub fn credential_count(&self) -> usize {
        read(&self.credentials).len()
    }
}

// A poisoned lock still guards valid data: the writers never leave it half-done.
fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(l: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    l.lock().unwrap_or_else(|e| e.into_inner())
}
