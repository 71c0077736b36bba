//! Reading credentials and their sealed secrets; purging secrets whose view
//! window closed (a time-ordered index: the cost follows what is due); the
//! last-used times the gateway reports in batches.

use std::sync::Arc;

use super::codec::decode;
use super::work::secret_key;
use super::{Store, StoreError, key};
use crate::clock::Timestamp;
use crate::domain::credential::{Credential, Desired, Wanted};
use crate::domain::ids::{ApplicationId, CredentialId, ResourceId, TeamId};
use crate::domain::key_format::KeyId;

impl Store {
    pub fn credential(&self, id: CredentialId) -> Result<Option<Credential>, StoreError> {
        self.credential
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Many credentials at once, in the order of `ids`. A long list is read
    /// on every core: each read that misses sled's cache loads and decodes
    /// a page, and those wait on nothing but the processor.
    pub fn credentials_by_id(
        &self,
        ids: &[CredentialId],
    ) -> Vec<Result<Option<Credential>, StoreError>> {
        const PER_THREAD: usize = 64;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(ids.len() / PER_THREAD);
        if threads < 2 {
            return ids.iter().map(|id| self.credential(*id)).collect();
        }
        let per = ids.len().div_ceil(threads);
        std::thread::scope(|s| {
            let parts: Vec<_> = ids
                .chunks(per)
                .map(|part| {
                    let read = s.spawn(move || {
                        part.iter()
                            .map(|id| self.credential(*id))
                            .collect::<Vec<_>>()
                    });
                    (part.len(), read)
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|(n, read)| {
                    read.join().unwrap_or_else(|_| {
                        (0..n)
                            .map(|_| Err(StoreError::Corrupt("a reading thread failed".to_owned())))
                            .collect()
                    })
                })
                .collect()
        })
    }

    pub fn credential_by_key(&self, key_id: &KeyId) -> Result<Option<Credential>, StoreError> {
        match self.credential_by_key.get(key_id.as_str().as_bytes())? {
            Some(id) => match CredentialId::from_bytes(&id) {
                Some(id) => self.credential(id),
                None => Err(StoreError::Corrupt("credential_by_key value".to_owned())),
            },
            None => Ok(None),
        }
    }

    fn credentials_in(
        &self,
        index: &sled::Tree,
        prefix: [u8; 16],
    ) -> Result<Vec<Credential>, StoreError> {
        let mut out = Vec::new();
        for k in index.scan_prefix(prefix).keys() {
            if let Some(id) = CredentialId::from_bytes(&k?[16..]) {
                out.extend(self.credential(id)?);
            }
        }
        Ok(out)
    }

    /// An application's credentials, oldest first. Its page reads them on
    /// every view: kept decoded in memory between changes to them.
    pub fn credentials_of_app(&self, app: ApplicationId) -> Result<Arc<[Credential]>, StoreError> {
        if let Some(kept) = self.app_credentials.get(&app) {
            return Ok(kept);
        }
        let seen = self.app_credentials.version();
        let read: Arc<[Credential]> = self
            .credentials_in(&self.credential_by_app, app.to_bytes())?
            .into();
        self.app_credentials
            .keep(app, read.clone(), read.len().max(1), seen);
        Ok(read)
    }

    pub fn credentials_of_resource(
        &self,
        resource: ResourceId,
    ) -> Result<Vec<Credential>, StoreError> {
        self.credentials_in(&self.credential_by_resource, resource.to_bytes())
    }

    /// Credentials on a provider team's resources.
    pub fn credentials_of_provider(&self, provider: TeamId) -> Result<Vec<Credential>, StoreError> {
        self.credentials_in(&self.credential_by_provider, provider.to_bytes())
    }

    /// What the portal wants of every credential, read one at a time and
    /// decoding only those two fields (building the gateway's index).
    pub fn desired_states(&self) -> impl Iterator<Item = Result<(KeyId, Wanted), StoreError>> + '_ {
        #[derive(serde::Deserialize)]
        struct Record {
            key_id: KeyId,
            desired: Desired,
            #[serde(default)]
            expires_at: Option<Timestamp>,
            #[serde(default)]
            expired: bool,
        }
        self.credential.iter().values().map(|v| {
            let r: Record = decode(&v?)?;
            let wanted = Wanted {
                desired: r.desired,
                expires_at: r.expires_at,
                expired: r.expired,
            };
            Ok((r.key_id, wanted))
        })
    }

    /// Every last-used time written, by key id.
    pub fn last_used_times(
        &self,
    ) -> impl Iterator<Item = Result<(KeyId, Timestamp), StoreError>> + '_ {
        self.credential_last_used.iter().filter_map(|kv| {
            let (k, v) = match kv {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e.into())),
            };
            let key_id = std::str::from_utf8(&k).ok().and_then(KeyId::parse)?;
            let at = <[u8; 8]>::try_from(v.as_ref()).ok()?;
            Some(Ok((key_id, Timestamp::from_millis(i64::from_be_bytes(at)))))
        })
    }

    /// Every credential.
    pub fn credentials(&self) -> Result<Vec<Credential>, StoreError> {
        self.credential
            .iter()
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    /// The sealed clear secret of a credential's version, while kept.
    pub fn sealed_secret(
        &self,
        id: CredentialId,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .credential_secret
            .get(secret_key(id, version))?
            .map(|v| v.to_vec()))
    }

    /// Destroys the sealed secrets whose window closed at or before `now`.
    /// Reads only the due part of the purge index. Returns how many went.
    pub fn purge_secrets(&self, now: Timestamp, limit: usize) -> Result<usize, StoreError> {
        let _writing = self.writing();
        let end = key::<8>(&[&(now.as_millis().max(0) as u64 + 1).to_be_bytes()]);
        let mut purged = 0;
        for k in self.secret_purge.range(..end).keys().take(limit) {
            let k = k?;
            let (Some(id), Ok(version)) = (
                CredentialId::from_bytes(&k[8..24]),
                <[u8; 4]>::try_from(&k[24..28]).map(u32::from_be_bytes),
            ) else {
                continue;
            };
            self.credential_secret.remove(secret_key(id, version))?;
            self.secret_purge.remove(&k)?;
            purged += 1;
        }
        Ok(purged)
    }

    /// How many sealed secrets are kept (for tests and metrics).
    pub fn sealed_secret_count(&self) -> usize {
        self.credential_secret.len()
    }

    /// Writes a batch of last-used times (key id → time), keeping the later.
    pub fn record_last_used(&self, batch: &[(KeyId, Timestamp)]) -> Result<(), StoreError> {
        let _writing = self.writing();
        for (key_id, at) in batch {
            let k = key_id.as_str().as_bytes();
            let newer = match self.credential_last_used.get(k)? {
                Some(v) => {
                    <[u8; 8]>::try_from(v.as_ref())
                        .map(i64::from_be_bytes)
                        .unwrap_or(0)
                        < at.as_millis()
                }
                None => true,
            };
            if newer {
                self.credential_last_used
                    .insert(k, &at.as_millis().to_be_bytes())?;
            }
        }
        Ok(())
    }

    pub fn last_used(&self, key_id: &KeyId) -> Result<Option<Timestamp>, StoreError> {
        Ok(self
            .credential_last_used
            .get(key_id.as_str().as_bytes())?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(|b| Timestamp::from_millis(i64::from_be_bytes(b))))
    }

    /// Credentials whose outstanding task was given up on while they no
    /// longer say so: a version before 2026-12-01 cleared the failure when
    /// the user acted, leaving the credential waiting on a dead task for
    /// good. Each is marked failed again (its Retry shows, and its next
    /// change replaces the task). Returns how many were repaired.
    pub fn repair_stuck_credentials(&self, now: Timestamp) -> Result<usize, StoreError> {
        use crate::domain::audit::{AuditRecord, Subject};
        use crate::domain::ids::{AuditId, TaskId};
        let mut repaired = 0;
        for k in self.outbox_failed.iter().keys() {
            let Some(id) = TaskId::from_bytes(&k?[16..]) else {
                continue;
            };
            let Some(task) = self.task(id)? else { continue };
            let Some(work) = &task.credential else {
                continue;
            };
            let Some(mut c) = self.credential(work.credential)? else {
                continue;
            };
            if c.task != Some(task.id) || c.failed {
                continue;
            }
            c.failed = true;
            c.last_error = task.last_error.clone();
            let audit = AuditRecord {
                id: AuditId::generate(now),
                at: now,
                actor: None,
                team: Some(c.team),
                action: "credential.repaired".into(),
                detail: format!(
                    "credential {} ({}) waits on a task that gave up: shown as failed again",
                    c.name, c.key_id
                ),
                subject: Some(Subject::Credential(c.id)),
            };
            let changes = super::Changes {
                credentials: vec![&c],
                ..super::Changes::default()
            };
            self.commit(&changes, &audit)?;
            repaired += 1;
        }
        Ok(repaired)
    }
}

impl Store {
    /// Live credentials whose lifetime has ended by `now`, earliest first,
    /// at most `limit`, with their teams. The index is ordered by time, so
    /// the cost follows what is due, not how many credentials there are.
    pub fn due_expiries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(TeamId, CredentialId)>, StoreError> {
        due_in(&self.credential_expiry, now, limit)
    }

    /// Credentials whose next reminder before expiry is due by `now`.
    pub fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(TeamId, CredentialId)>, StoreError> {
        due_in(&self.credential_reminder, now, limit)
    }
}

fn due_in(
    tree: &sled::Tree,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<(TeamId, CredentialId)>, StoreError> {
    let end = (now.as_millis().max(0) as u64 + 1).to_be_bytes();
    let mut due = Vec::new();
    for kv in tree.range(..&end[..]).take(limit) {
        let (k, v) = kv?;
        match (CredentialId::from_bytes(&k[8..]), TeamId::from_bytes(&v)) {
            (Some(id), Some(team)) => due.push((team, id)),
            _ => return Err(StoreError::Corrupt("time index entry".to_owned())),
        }
    }
    Ok(due)
}
