//! The embedded data plane's trees: `embedded_access` (application ×
//! resource → the grant its gateway checks), `embedded_credential` (key id →
//! the keyed hash and state of a credential) and `embedded_applied`
//! (idempotency keys already carried out).

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::codec::decode;
use super::{Store, StoreError, TxResult, from_tx, key, tx_decode, tx_encode};
use crate::clock::Timestamp;
use crate::domain::access::TaskOp;
use crate::domain::credential::CredentialOp;
use crate::domain::ids::{AccessId, ApplicationId, CredentialId, ResourceId, TeamId};
use crate::domain::key_format::KeyId;
use crate::domain::outbox::{AccessGrant, Task};
use crate::domain::resource::CredentialType;

/// A credential as the embedded gateway knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedCredential {
    pub credential: CredentialId,
    pub key_id: KeyId,
    pub kind: CredentialType,
    pub team: TeamId,
    pub application: ApplicationId,
    pub resource: ResourceId,
    pub access: AccessId,
    pub active: bool,
    pub secret_version: u32,
    /// Keyed hash (hex) of the current secret.
    pub hash: String,
    /// After a renewal with grace: the previous secret's hash and until when it works.
    #[serde(default)]
    pub previous: Option<(String, Timestamp)>,
}

/// What an applied task changed, for the gateway's in-memory index.
#[derive(Debug, Clone)]
pub enum EmbeddedChange {
    Grant(AccessGrant),
    Revoke(ApplicationId, ResourceId),
    Credential(EmbeddedCredential),
    CredentialRemoved(KeyId),
    Nothing,
}

type EmbeddedViews<'a> = (
    &'a TransactionalTree,
    &'a TransactionalTree,
    &'a TransactionalTree,
);

/// One task inside a transaction over the embedded trees. Writes of a task
/// before it in the same transaction are seen, so tasks apply in order.
fn apply_in((access, applied, creds): EmbeddedViews<'_>, task: &Task) -> TxResult<EmbeddedChange> {
    if applied.get(task.key.as_bytes())?.is_some() {
        return Ok(EmbeddedChange::Nothing);
    }
    applied.insert(task.key.as_bytes(), &task.created_at.to_be_bytes()[..])?;
    if let Some(w) = &task.credential {
        let id = w.key_id.as_str().as_bytes();
        let current: Option<EmbeddedCredential> =
            creds.get(id)?.map(|v| tx_decode(&v)).transpose()?;
        let next = match (w.op, current) {
            (CredentialOp::Deprovision, _) => {
                creds.remove(id)?;
                return Ok(EmbeddedChange::CredentialRemoved(w.key_id));
            }
            (CredentialOp::Provision, _) | (_, None) => EmbeddedCredential {
                credential: w.credential,
                key_id: w.key_id,
                kind: w.kind,
                team: task.grant.team,
                application: task.grant.application,
                resource: task.grant.resource,
                access: task.grant.access,
                active: w.active,
                secret_version: w.secret_version,
                hash: w.secret_hash.clone(),
                previous: None,
            },
            (CredentialOp::Suspend, Some(c)) => EmbeddedCredential { active: false, ..c },
            (CredentialOp::Enable, Some(c)) => EmbeddedCredential { active: true, ..c },
            (CredentialOp::EndGrace, Some(c)) => EmbeddedCredential {
                previous: None,
                ..c
            },
            (CredentialOp::Renew, Some(c)) => {
                let previous = w.grace_until.map(|until| (c.hash.clone(), until));
                EmbeddedCredential {
                    hash: w.secret_hash.clone(),
                    secret_version: w.secret_version,
                    previous,
                    ..c
                }
            }
        };
        creds.insert(id, tx_encode(&next)?)?;
        return Ok(EmbeddedChange::Credential(next));
    }
    let k = key::<32>(&[
        &task.grant.application.to_bytes(),
        &task.grant.resource.to_bytes(),
    ]);
    match task.op {
        TaskOp::Grant => {
            access.insert(&k[..], tx_encode(&task.grant)?)?;
            Ok(EmbeddedChange::Grant(task.grant.clone()))
        }
        TaskOp::Revoke => {
            // Only the grant of this access: a newer grant for the same
            // application and resource stays.
            if let Some(v) = access.get(&k[..])? {
                let current: AccessGrant = tx_decode(&v)?;
                if current.access == task.grant.access {
                    access.remove(&k[..])?;
                    return Ok(EmbeddedChange::Revoke(
                        task.grant.application,
                        task.grant.resource,
                    ));
                }
            }
            Ok(EmbeddedChange::Nothing)
        }
    }
}

impl Store {
    /// Carries out a task on the embedded data plane. A task whose
    /// idempotency key was already applied changes nothing.
    pub fn embedded_apply(&self, task: &Task) -> Result<EmbeddedChange, StoreError> {
        let mut changes = self.embedded_apply_all(std::slice::from_ref(task))?;
        Ok(changes.pop().unwrap_or(EmbeddedChange::Nothing))
    }

    /// Carries out tasks in order in one transaction: what each changed, in
    /// the order of the tasks. One transaction for many tasks holds sled's
    /// database-wide lock once instead of once per task.
    pub fn embedded_apply_all(&self, tasks: &[Task]) -> Result<Vec<EmbeddedChange>, StoreError> {
        let _writing = self.writing();
        let _turn = self.turn();
        let r = (
            &self.embedded_access,
            &self.embedded_applied,
            &self.embedded_credential,
        )
            .transaction(|(access, applied, creds)| {
                tasks
                    .iter()
                    .map(|task| apply_in((access, applied, creds), task))
                    .collect::<Result<Vec<_>, _>>()
            });
        from_tx(r)
    }

    /// Puts an unreadable record where a credential's should be (tests of
    /// what a broken record holds back).
    #[cfg(test)]
    pub(crate) fn embedded_break_credential(&self, key_id: &KeyId) {
        self.embedded_credential
            .insert(key_id.as_str().as_bytes(), &b"\xc1 not a record"[..])
            .unwrap();
    }

    /// What the embedded gateway allows for an application on a resource.
    pub fn embedded_grant(
        &self,
        app: ApplicationId,
        resource: ResourceId,
    ) -> Result<Option<AccessGrant>, StoreError> {
        let k = key::<32>(&[&app.to_bytes(), &resource.to_bytes()]);
        self.embedded_access.get(k)?.map(|v| decode(&v)).transpose()
    }

    /// Every grant, read one at a time (building the gateway's index).
    pub fn embedded_grants(&self) -> impl Iterator<Item = Result<AccessGrant, StoreError>> + '_ {
        self.embedded_access.iter().values().map(|v| decode(&v?))
    }

    pub fn embedded_grant_count(&self) -> usize {
        self.embedded_access.len()
    }

    /// Every credential, read one at a time (building the gateway's index).
    pub fn embedded_credentials(
        &self,
    ) -> impl Iterator<Item = Result<EmbeddedCredential, StoreError>> + '_ {
        self.embedded_credential
            .iter()
            .values()
            .map(|v| decode(&v?))
    }

    pub fn embedded_credential(
        &self,
        key_id: &KeyId,
    ) -> Result<Option<EmbeddedCredential>, StoreError> {
        self.embedded_credential
            .get(key_id.as_str().as_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }
}
