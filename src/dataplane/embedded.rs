//! The data plane inside the binary. It keeps its own trees: the access it
//! grants (what its gateway endpoints check) and the idempotency keys it has
//! applied, so a task delivered twice changes nothing the second time.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{Capabilities, DataPlane, DataPlaneError, Outcome};
use crate::config::EMBEDDED_DATAPLANE;
use crate::domain::outbox::Task;
use crate::gateway::Gateway;
use crate::store::Store;

pub struct EmbeddedPlane {
    store: Store,
    gateway: Arc<Gateway>,
}

impl EmbeddedPlane {
    pub fn new(store: Store, gateway: Arc<Gateway>) -> Self {
        Self { store, gateway }
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
        Box::pin(async move {
            let change = self
                .store
                .embedded_apply(task)
                .map_err(|e| DataPlaneError::Temporary(e.to_string()))?;
            self.gateway.apply(change);
            Ok(Outcome::Done)
        })
    }

    /// All the tasks in one transaction. If it fails, every task is told
    /// so and retried later; none of them changed anything.
    fn apply_all<'a>(
        &'a self,
        tasks: &'a [Task],
    ) -> BoxFuture<'a, Vec<Result<Outcome, DataPlaneError>>> {
        Box::pin(async move {
            match self.store.embedded_apply_all(tasks) {
                Ok(changes) => changes
                    .into_iter()
                    .map(|change| {
                        self.gateway.apply(change);
                        Ok(Outcome::Done)
                    })
                    .collect(),
                Err(e) => tasks
                    .iter()
                    .map(|_| Err(DataPlaneError::Temporary(e.to_string())))
                    .collect(),
            }
        })
    }
}
