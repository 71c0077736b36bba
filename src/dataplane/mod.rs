//! Data planes: where access and credentials are enforced. Each kind
//! implements [`DataPlane`]; the [`DataPlanes`] registry is built from the
//! settings. The provisioning engine calls them in the background, never on
//! a request path.

pub mod embedded;
pub mod webhook;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::config::{Config, DataPlaneKind};
use crate::domain::outbox::Task;
use crate::gateway::Gateway;
use crate::store::Store;

/// What a data plane can do beyond granting and revoking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub suspend: bool,
    pub renew: bool,
    /// People carry out the work by hand (the Provisioning queue).
    pub by_hand: bool,
    /// The data plane makes up credential secrets and returns them.
    pub generates_secrets: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The data plane did it (or had already done it: same idempotency key).
    Done,
    /// Done, and the data plane made up the secret: here sealed for its
    /// credential and version, viewable until the given time.
    DoneWithSecret {
        sealed: Vec<u8>,
        until: crate::clock::Timestamp,
        /// An OAuth client id the plane made itself (a provider's gateway), if any.
        client_id: Option<String>,
    },
    /// Handed to people; they mark it provisioned or failed.
    HandedOver,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataPlaneError {
    /// Worth retrying: the data plane is down, slow or busy.
    #[error("{0}")]
    Temporary(String),
    /// Worth retrying, but not before this long (the agent's `Retry-After`).
    #[error("{0}")]
    Busy(String, std::time::Duration),
    /// Retrying will not help: shown as Failed at once.
    #[error("{0}")]
    Permanent(String),
}

impl DataPlaneError {
    /// The least wait the data plane asked for.
    pub fn retry_after(&self) -> std::time::Duration {
        match self {
            DataPlaneError::Busy(_, d) => *d,
            _ => std::time::Duration::ZERO,
        }
    }
}

pub trait DataPlane: Send + Sync {
    fn name(&self) -> &str;
    fn kind(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    /// Carries out a task. Must be idempotent by `task.key`: a task delivered
    /// twice changes the data plane once.
    fn apply<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<Outcome, DataPlaneError>>;

    /// Carries out tasks in their order, one answer per task in the same
    /// order. By default one after the other through [`DataPlane::apply`]; a
    /// plane that can carry out several in one write does so.
    fn apply_all<'a>(
        &'a self,
        tasks: &'a [Task],
    ) -> BoxFuture<'a, Vec<Result<Outcome, DataPlaneError>>> {
        Box::pin(async move {
            let mut answers = Vec::with_capacity(tasks.len());
            for task in tasks {
                answers.push(self.apply(task).await);
            }
            answers
        })
    }
}

/// The provider carries out the work by hand.
pub struct ManualPlane {
    name: String,
}

impl DataPlane for ManualPlane {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "manual"
    }

    fn capabilities(&self) -> Capabilities {
        // The provider makes the secret on their own gateway and enters it
        // when marking the credential provisioned.
        // Renewing by hand is installing the new secret the provider makes.
        Capabilities {
            by_hand: true,
            generates_secrets: true,
            renew: true,
            ..Capabilities::default()
        }
    }

    fn apply<'a>(&'a self, _: &'a Task) -> BoxFuture<'a, Result<Outcome, DataPlaneError>> {
        Box::pin(async { Ok(Outcome::HandedOver) })
    }
}

/// The configured data planes by name.
#[derive(Clone)]
pub struct DataPlanes {
    planes: Vec<Arc<dyn DataPlane>>,
}

impl DataPlanes {
    /// The planes the settings name, plus `extra` ones (tests add fakes);
    /// webhook agents are found with `lookup` (the system's when `None`).
    pub fn build(
        config: &Config,
        store: &Store,
        gateway: &Arc<Gateway>,
        vault: &crate::crypto::vault::Vault,
        clock: &crate::clock::SharedClock,
        extra: Vec<Arc<dyn DataPlane>>,
        lookup: Option<crate::outgoing::Lookup>,
    ) -> Self {
        let mut planes: Vec<Arc<dyn DataPlane>> = config
            .dataplanes
            .iter()
            .map(|d| -> Arc<dyn DataPlane> {
                match d.kind {
                    DataPlaneKind::Embedded => {
                        Arc::new(embedded::EmbeddedPlane::new(store.clone(), gateway.clone()))
                    }
                    DataPlaneKind::Manual => Arc::new(ManualPlane {
                        name: d.name.clone(),
                    }),
                    DataPlaneKind::Webhook => Arc::new(webhook::WebhookPlane::new(
                        d,
                        vault.clone(),
                        clock.clone(),
                        lookup.clone(),
                    )),
                }
            })
            .collect();
        planes.extend(extra);
        Self { planes }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn DataPlane>> {
        self.planes.iter().find(|p| p.name() == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.planes.iter().map(|p| p.name().to_owned()).collect()
    }
}

impl DataPlanes {
    /// Whether the named data plane can renew a credential in place.
    pub fn can_renew(&self, name: &str) -> bool {
        self.get(name).is_some_and(|p| p.capabilities().renew)
    }

    /// Whether the named data plane can suspend a credential.
    pub fn can_suspend(&self, name: &str) -> bool {
        self.get(name).is_some_and(|p| p.capabilities().suspend)
    }

    /// Whether the named data plane makes up secrets itself.
    /// Whether the provider carries out this plane's work by hand.
    pub fn by_hand(&self, name: &str) -> bool {
        self.get(name).is_some_and(|p| p.capabilities().by_hand)
    }

    pub fn generates_secrets(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|p| p.capabilities().generates_secrets)
    }
}
