//! The embedded data plane's trees: `embedded_access` (application ×
//! resource → the grant its gateway checks) and `embedded_applied`
//! (idempotency keys already carried out).

use sled::Transactional;

use super::codec::decode;
use super::{Store, StoreError, from_tx, key, tx_encode};
use crate::domain::access::TaskOp;
use crate::domain::ids::{ApplicationId, ResourceId};
use crate::domain::outbox::{AccessGrant, Task};

impl Store {
    /// Carries out a task on the embedded data plane. Returns false when its
    /// idempotency key was already applied (nothing changes then).
    pub fn embedded_apply(&self, task: &Task) -> Result<bool, StoreError> {
        let k = key::<32>(&[
            &task.grant.application.to_bytes(),
            &task.grant.resource.to_bytes(),
        ]);
        let r = (&self.embedded_access, &self.embedded_applied).transaction(|(access, applied)| {
            if applied.get(task.key.as_bytes())?.is_some() {
                return Ok(false);
            }
            match task.op {
                TaskOp::Grant => {
                    access.insert(&k[..], tx_encode(&task.grant)?)?;
                }
                TaskOp::Revoke => {
                    // Only the grant of this access: a newer grant for the same
                    // application and resource stays.
                    if let Some(v) = access.get(&k[..])? {
                        let current: AccessGrant = super::tx_decode(&v)?;
                        if current.access == task.grant.access {
                            access.remove(&k[..])?;
                        }
                    }
                }
            }
            applied.insert(task.key.as_bytes(), &task.created_at.to_be_bytes()[..])?;
            Ok(true)
        });
        from_tx(r)
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

    pub fn embedded_grant_count(&self) -> usize {
        self.embedded_access.len()
    }
}
