//! The application state: the services every front end and job reaches,
//! built once by `startup` (the composition root) and shared read-only.

use std::sync::Arc;

use actix::Addr;

use super::reveal::Reveals;
use super::throttle::LoginThrottle;
use crate::actors::provisioner::Provisioner;
use crate::actors::registry::TeamRegistry;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::vault::Vault;
use crate::dataplane::DataPlanes;
use crate::gateway::Gateway;
use crate::marketplace::Marketplace;
use crate::metrics::Metrics;
use crate::ops::password::PasswordHasher;
use crate::store::Store;

/// Keys derived from the master key, one per purpose.
pub struct Keys {
    pub csrf: [u8; 32],
    pub flash: [u8; 32],
}

pub struct AppState {
    pub config: Config,
    /// Where people reach this server, for links (no trailing slash).
    pub public_url: String,
    pub store: Store,
    pub clock: SharedClock,
    pub teams: TeamRegistry,
    /// The index of published products the Marketplace searches.
    pub market: Marketplace,
    pub dataplanes: DataPlanes,
    /// What the embedded gateway endpoints check.
    pub gateway: Arc<Gateway>,
    /// Seals clear secrets for their view window.
    pub vault: Vault,
    /// The server pepper of the data planes' keyed hashes.
    pub pepper: [u8; 32],
    /// The provisioning engine; `send(RunDue)` runs the due tasks now.
    pub provisioner: Addr<Provisioner>,
    pub hasher: PasswordHasher,
    pub keys: Keys,
    pub throttle: LoginThrottle,
    pub metrics: Arc<Metrics>,
    /// Secrets just made, held for the GET page their POST leads to.
    pub reveals: Reveals,
    /// Email, when `[smtp]` is set up.
    pub mailer: Option<crate::mail::Mailer>,
    /// Calls webhook endpoints, only where the address rule allows.
    pub webhooks_out: crate::outgoing::Guarded,
    /// Counts password reset requests and queues their work.
    pub resets: super::reset_desk::ResetDesk,
    /// One backup at a time, and when the last one was written.
    pub backups: super::backup::Backups,
}
