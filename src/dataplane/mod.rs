//! Data planes: where access and credentials are enforced. Each kind
//! implements [`DataPlane`]; the [`DataPlanes`] registry is built from the
//! settings. The provisioning engine calls them in the background, never on
//! a request path.

pub mod embedded;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The data plane did it (or had already done it: same idempotency key).
    Done,
    /// Handed to people; they mark it provisioned or failed.
    HandedOver,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataPlaneError {
    /// Worth retrying: the data plane is down, slow or busy.
    #[error("{0}")]
    Temporary(String),
    /// Retrying will not help: shown as Failed at once.
    #[error("{0}")]
    Permanent(String),
}

pub trait DataPlane: Send + Sync {
    fn name(&self) -> &str;
    fn kind(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    /// Carries out a task. Must be idempotent by `task.key`: a task delivered
    /// twice changes the data plane once.
    fn apply<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<Outcome, DataPlaneError>>;
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
        Capabilities {
            by_hand: true,
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
    /// The planes the settings name, plus `extra` ones (tests add fakes).
    pub fn build(
        config: &Config,
        store: &Store,
        gateway: &Arc<Gateway>,
        extra: Vec<Arc<dyn DataPlane>>,
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
}
