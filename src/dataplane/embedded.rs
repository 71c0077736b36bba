//! The data plane inside the binary. It keeps its own trees: the access it
//! grants (what its gateway endpoints check) and the idempotency keys it has
//! applied, so a task delivered twice changes nothing the second time.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{Capabilities, DataPlane, DataPlaneError, Outcome};
use crate::config::EMBEDDED_DATAPLANE;
use crate::domain::outbox::Task;
use crate::gateway::Gateway;
use crate::store::{EmbeddedChange, Store, StoreError};

pub struct EmbeddedPlane {
    store: Store,
    gateway: Arc<Gateway>,
}

impl EmbeddedPlane {
    pub fn new(store: Store, gateway: Arc<Gateway>) -> Self {
        Self { store, gateway }
    }

    /// What one task's write means for its answer: once written, the
    /// gateway's index learns the change; a failed write is retried later.
    fn settle(
        &self,
        written: Result<EmbeddedChange, StoreError>,
    ) -> Result<Outcome, DataPlaneError> {
        let change = written.map_err(|e| DataPlaneError::Temporary(e.to_string()))?;
        self.gateway.apply(change);
        Ok(Outcome::Done)
    }
}

impl DataPlane for EmbeddedPlane {
    fn name(&self) -> &str {
        EMBEDDED_DATAPLANE
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            suspend: true,
            renew: true,
            by_hand: false,
            generates_secrets: false,
        }
    }

    fn apply<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<Outcome, DataPlaneError>> {
        Box::pin(async move { self.settle(self.store.embedded_apply(task)) })
    }

    /// All the tasks in one transaction. If it fails, each task is carried
    /// out alone, so one that cannot be applied does not hold back the others.
    fn apply_all<'a>(
        &'a self,
        tasks: &'a [Task],
    ) -> BoxFuture<'a, Vec<Result<Outcome, DataPlaneError>>> {
        Box::pin(async move {
            let changes = match self.store.embedded_apply_all(tasks) {
                Ok(changes) => changes.into_iter().map(Ok).collect(),
                Err(e) => {
                    tracing::warn!(tasks = tasks.len(), error = %e, "a batch of embedded tasks failed; each is tried alone");
                    tasks
                        .iter()
                        .map(|t| self.store.embedded_apply(t))
                        .collect::<Vec<_>>()
                }
            };
            changes.into_iter().map(|c| self.settle(c)).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, SharedClock, Timestamp};
    use crate::crypto::master_key::MasterKey;
    use crate::domain::access::TaskOp;
    use crate::domain::credential::CredentialOp;
    use crate::domain::ids::CredentialId;
    use crate::domain::key_format::KeyId;
    use crate::domain::outbox::{CredentialWork, samples};
    use crate::domain::resource::CredentialType;

    fn task(key: &str, credential: Option<CredentialWork>) -> Task {
        let plane = EMBEDDED_DATAPLANE;
        samples::task(&samples::grant(), key, TaskOp::Grant, plane, credential)
    }

    /// One task that cannot be applied (its credential's record is broken)
    /// fails alone: the others of its batch are carried out.
    #[actix_web::test]
    async fn a_task_that_fails_holds_back_none_of_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("master.key");
        let key = MasterKey::load_or_create(&key_file).unwrap();
        let store = Store::open(&dir.path().join("data"), &key, &key_file).unwrap();
        let clock: SharedClock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000)));
        let gateway = Arc::new(Gateway::load(&store, clock, [7; 32]).unwrap());
        let plane = EmbeddedPlane::new(store.clone(), gateway);

        let broken = KeyId::generate();
        store.embedded_break_credential(&broken);
        let suspend = CredentialWork {
            credential: CredentialId::generate(Timestamp::from_millis(1_000)),
            key_id: broken,
            kind: CredentialType::ApiKey,
            op: CredentialOp::Suspend,
            active: false,
            secret_version: 1,
            secret_hash: "aa".into(),
            grace_until: None,
            sealed_secret: None,
        };
        let tasks = [task("a", None), task("b", Some(suspend)), task("c", None)];
        let answers = plane.apply_all(&tasks).await;
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[0], Ok(Outcome::Done));
        assert!(
            matches!(answers[1], Err(DataPlaneError::Temporary(_))),
            "{:?}",
            answers[1]
        );
        assert_eq!(answers[2], Ok(Outcome::Done));
        assert_eq!(store.embedded_grant_count(), 2);
    }
}
