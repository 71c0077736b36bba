//! Credentials: an application's API key or OAuth client for one resource.
//!
//! A credential keeps what the user wants (`desired`: active, inactive,
//! deleted; and the secret version) apart from what the data plane has
//! confirmed (`observed` and `plane_version`). One task at a time carries the
//! data plane towards the desired state; when it answers, the next step (if
//! any) follows. The UI shows the desired state with the observed one beside
//! it while they differ ("Inactive — suspending…").

mod lifecycle;

use serde::{Deserialize, Serialize};

pub use lifecycle::{CredentialAction, CredentialOp, Desired, Observed};

use super::abilities::{Abilities, Grace};
use super::expiry::{self, AtExpiry, Lifetime};
use super::ids::{
    AccessId, ApplicationId, CredentialId, ProductId, ResourceId, TaskId, TeamId, UserId,
};
use super::key_format::KeyId;
use super::resource::CredentialType;
use crate::clock::Timestamp;
use crate::crypto::digest::constant_time_eq;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("This credential is {0}: it cannot be {1}.")]
    NotAllowed(&'static str, &'static str),
    #[error("This data plane cannot renew credentials: create a new credential instead.")]
    RenewUnsupported,
    #[error("This data plane cannot suspend credentials: delete the credential instead.")]
    SuspendUnsupported,
    #[error("This grace period is longer than the data plane allows.")]
    GraceTooLong,
    #[error(
        "Credentials can be created only for approved access that is provisioned or being provisioned."
    )]
    NoAccess,
    #[error("The resource does not accept this credential type.")]
    TypeNotAccepted,
    #[error("This credential has expired: renew it to use it again.")]
    Expired,
    #[error("This credential's lifetime has not ended.")]
    NotDue,
    #[error("The secret is no longer viewable: its view window has closed.")]
    WindowClosed,
    #[error("Not found.")]
    Missing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub id: CredentialId,
    pub team: TeamId,
    pub provider: TeamId,
    pub application: ApplicationId,
    pub access: AccessId,
    pub product: ProductId,
    pub resource: ResourceId,
    pub dataplane: String,
    pub kind: CredentialType,
    pub name: String,
    pub key_id: KeyId,
    pub desired: Desired,
    pub observed: Observed,
    /// The secret version the user holds (1 at creation, +1 per renewal).
    pub secret_version: u32,
    /// The secret version the data plane has confirmed (0: none yet).
    pub plane_version: u32,
    /// The keyed hash of the current secret (hex), what the data plane checks.
    pub secret_hash: String,
    /// The clear secret can be viewed until then (`None`: shown once only).
    #[serde(default)]
    pub window_until: Option<Timestamp>,
    /// After a renewal, the previous secret works until then.
    #[serde(default)]
    pub grace_until: Option<Timestamp>,
    /// The keyed hash (hex) of the previous secret while its grace period
    /// runs, so a report of it leaked is recognised.
    #[serde(default)]
    pub previous_hash: Option<String>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub renewed_at: Option<Timestamp>,
    /// The provider's reason for its last action, shown to the consumer.
    #[serde(default)]
    pub reason: Option<String>,
    /// The outstanding data plane task, if any.
    #[serde(default)]
    pub task: Option<TaskId>,
    /// Counts tasks, for idempotency keys.
    #[serde(default)]
    pub task_seq: u32,
    /// The data plane gave up; an action or a retry queues again.
    #[serde(default)]
    pub failed: bool,
    #[serde(default)]
    pub last_error: Option<String>,
    /// For an agent that installs Agora's secret: the secret sealed for it,
    /// until the agent has confirmed the provision or renewal.
    #[serde(default)]
    pub agent_secret: Option<Vec<u8>>,
    /// Whether the data plane still holds a previous secret in its grace
    /// period (set when a renewal with grace is carried out); ending the
    /// grace early then needs a step there.
    #[serde(default)]
    pub plane_grace: bool,
    /// An OAuth client id the provider's own gateway made (a manual data
    /// plane); `None`: Agora's `agc_<key id>`.
    #[serde(default)]
    pub own_client_id: Option<String>,
    /// The current lifetime ends then (`None`: never).
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// What happens at `expires_at`.
    #[serde(default)]
    pub at_expiry: AtExpiry,
    /// Its lifetime ended; only a renewal brings it back.
    #[serde(default)]
    pub expired: bool,
    /// The smallest reminder offset (days) already sent in this lifetime.
    #[serde(default)]
    pub reminded_days: Option<u32>,
    /// When the next reminder falls due, and for which offset (the reminder
    /// index's key).
    #[serde(default)]
    pub next_reminder: Option<(u32, Timestamp)>,
    /// Who created it (`None` in records from before this was kept): the
    /// person told when it becomes active.
    #[serde(default)]
    pub created_by: Option<UserId>,
}

/// Which secret of a credential a leak report names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaked {
    /// The secret in use: the credential is suspended (deleted where its
    /// data plane cannot suspend).
    Current,
    /// The secret a renewal replaced, still in its grace period: the grace
    /// ends at once, and the current secret keeps working.
    Previous,
}

/// What the portal wants of a credential, as the gateway checks it on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Wanted {
    pub desired: Desired,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub expired: bool,
}

impl Credential {
    pub fn wanted(&self) -> Wanted {
        Wanted {
            desired: self.desired,
            expires_at: self.expires_at,
            expired: self.expired,
        }
    }

    /// The client id callers present: the provider's own, or Agora's.
    pub fn client_id(&self) -> String {
        self.own_client_id
            .clone()
            .unwrap_or_else(|| self.key_id.client_id())
    }

    /// Applies a user's action to the desired state, when the credential's
    /// state and its data plane's `abilities` allow it.
    pub fn act(
        &mut self,
        action: CredentialAction,
        abilities: Abilities,
        now: Timestamp,
    ) -> Result<(), CredentialError> {
        let refuse =
            |c: &Credential| Err(CredentialError::NotAllowed(c.state_name(), action.verb()));
        match action {
            CredentialAction::Suspend | CredentialAction::Enable if !abilities.suspend => {
                return Err(CredentialError::SuspendUnsupported);
            }
            CredentialAction::Renew { .. } if !abilities.renew => {
                return Err(CredentialError::RenewUnsupported);
            }
            CredentialAction::Renew { grace, .. }
                if grace.duration() > abilities.max_renew_grace =>
            {
                return Err(CredentialError::GraceTooLong);
            }
            _ => {}
        }
        if self.expired && matches!(action, CredentialAction::Enable | CredentialAction::Suspend) {
            return Err(CredentialError::Expired);
        }
        match (self.desired, action) {
            (Desired::Active, CredentialAction::Suspend) => self.desired = Desired::Inactive,
            (Desired::Inactive, CredentialAction::Enable) => self.desired = Desired::Active,
            (Desired::Active | Desired::Inactive, CredentialAction::Renew { grace, lifetime }) => {
                self.secret_version += 1;
                // An expired secret gets no grace: it stopped working at expiry.
                self.grace_until =
                    (grace != Grace::None && !self.expired).then(|| now.plus(grace.duration()));
                // Known again once the new secret is: see `new_secret`.
                self.previous_hash = None;
                self.renewed_at = Some(now);
                if self.expired {
                    self.expired = false;
                    self.desired = Desired::Active;
                }
                self.start_lifetime(lifetime, now);
            }
            (Desired::Active | Desired::Inactive, CredentialAction::EndGrace)
                if self.grace_until.is_some_and(|until| until > now) =>
            {
                self.grace_until = None;
                self.previous_hash = None;
            }
            (Desired::Active | Desired::Inactive, CredentialAction::Delete) => {
                self.desired = Desired::Deleted;
                self.next_reminder = None;
            }
            (Desired::Active | Desired::Inactive, CredentialAction::Expire) if !self.expired => {
                if self.expires_at.is_none_or(|at| at > now) {
                    return Err(CredentialError::NotDue);
                }
                self.expired = true;
                self.next_reminder = None;
                self.grace_until = None;
                self.previous_hash = None;
                self.desired = match self.at_expiry {
                    AtExpiry::Suspend => Desired::Inactive,
                    AtExpiry::Deprovision => Desired::Deleted,
                };
            }
            _ => return refuse(self),
        }
        // A failed step stays recorded as failed: the next task replaces it
        // (`failed` tells the actor there is one to replace).
        Ok(())
    }

    /// Takes the keyed hash of a renewal's new secret; the secret it
    /// replaces stays known while its grace period runs.
    pub fn new_secret(&mut self, hash: String) {
        let old = std::mem::replace(&mut self.secret_hash, hash);
        self.previous_hash = self.grace_until.map(|_| old);
    }

    /// Which of its secrets that still work a reported one is (`presented`:
    /// its keyed hash, hex), if any: the current one of a live credential,
    /// or the previous one within its grace period. Anything else (a guess,
    /// a secret already refused) is no leak of a working secret.
    pub fn leaked(&self, presented: &str, now: Timestamp) -> Option<Leaked> {
        let same = |h: &str| constant_time_eq(presented.as_bytes(), h.as_bytes());
        if same(&self.secret_hash) {
            return (self.desired == Desired::Active).then_some(Leaked::Current);
        }
        let in_grace =
            self.grace_until.is_some_and(|until| until > now) && self.desired != Desired::Deleted;
        match &self.previous_hash {
            Some(h) if in_grace && same(h) => Some(Leaked::Previous),
            _ => None,
        }
    }

    /// Begins a lifetime at `now`: its end, and its reminders afresh.
    pub fn start_lifetime(&mut self, lifetime: Lifetime, now: Timestamp) {
        self.expires_at = lifetime.ends(now);
        self.at_expiry = lifetime.at_expiry;
        self.reminded_days = None;
        self.next_reminder = None;
    }

    /// Plans the next reminder before expiry at `offsets` (days).
    pub fn plan_reminder(&mut self, offsets: &[u32], now: Timestamp) {
        self.next_reminder = match (self.expires_at, self.desired) {
            (Some(at), Desired::Active | Desired::Inactive) if !self.expired => {
                let start = self.renewed_at.unwrap_or(self.created_at);
                expiry::next_reminder(offsets, start, at, self.reminded_days, now)
            }
            _ => None,
        };
    }

    /// The reminder due at `now`, if any, planned afresh: after a pause
    /// the passed offsets fold into the most urgent one.
    pub fn due_reminder(&self, offsets: &[u32], now: Timestamp) -> Option<u32> {
        let at = self.expires_at?;
        if self.expired || self.desired == Desired::Deleted {
            return None;
        }
        let start = self.renewed_at.unwrap_or(self.created_at);
        expiry::next_reminder(offsets, start, at, self.reminded_days, now)
            .filter(|(_, when)| *when <= now)
            .map(|(days, _)| days)
    }

    /// Records the reminder of `days` as sent and plans the next.
    pub fn reminded(&mut self, days: u32, offsets: &[u32], now: Timestamp) {
        self.reminded_days = Some(self.reminded_days.map_or(days, |r| r.min(days)));
        self.plan_reminder(offsets, now);
    }

    /// Whether its lifetime has ended at `now` (the gateway refuses it from
    /// that instant, whatever the sweep has done yet).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expired || self.expires_at.is_some_and(|at| at <= now)
    }

    /// The next step towards the desired state, or `None` when there.
    pub fn next_op(&self) -> Option<CredentialOp> {
        use CredentialOp as Op;
        match (self.desired, self.observed) {
            (Desired::Deleted, Observed::Removed) => None,
            (Desired::Deleted, _) => Some(Op::Deprovision),
            (_, Observed::Absent | Observed::Removed) => Some(Op::Provision),
            _ if self.secret_version > self.plane_version => Some(Op::Renew),
            (Desired::Active, Observed::Inactive) => Some(Op::Enable),
            (Desired::Inactive, Observed::Active) => Some(Op::Suspend),
            _ if self.plane_grace && self.grace_until.is_none() => Some(Op::EndGrace),
            _ => None,
        }
    }

    /// Records that the data plane carried out `op` for `secret_version`.
    pub fn confirm(&mut self, op: CredentialOp, active: bool, secret_version: u32) {
        self.failed = false;
        self.last_error = None;
        match op {
            CredentialOp::Provision => {
                self.observed = if active {
                    Observed::Active
                } else {
                    Observed::Inactive
                };
                self.plane_version = secret_version;
                self.plane_grace = false;
            }
            CredentialOp::Renew => self.plane_version = self.plane_version.max(secret_version),
            CredentialOp::EndGrace => self.plane_grace = false,
            CredentialOp::Suspend => self.observed = Observed::Inactive,
            CredentialOp::Enable => self.observed = Observed::Active,
            CredentialOp::Deprovision => self.observed = Observed::Removed,
        }
    }

    /// The credential as it last was once deleted and removed from its data
    /// plane (its record is gone then).
    pub fn removed(&self) -> Self {
        Self {
            desired: Desired::Deleted,
            observed: Observed::Removed,
            task: None,
            window_until: None,
            ..self.clone()
        }
    }

    /// The data plane is done with it: the record can go.
    pub fn is_gone(&self) -> bool {
        self.desired == Desired::Deleted && self.observed == Observed::Removed
    }

    /// The state as the seed names it.
    pub fn state_name(&self) -> &'static str {
        match (self.desired, self.observed) {
            _ if self.failed => "Failed",
            _ if self.expired => "Expired",
            (Desired::Deleted, _) => "Deleting",
            (_, Observed::Absent) => "Pending",
            (Desired::Active, _) => "Active",
            (Desired::Inactive, _) => "Inactive",
        }
    }

    /// "Inactive — suspending…" while the data plane catches up.
    pub fn state_label(&self) -> String {
        match (self.task.is_some() && !self.failed, self.next_op()) {
            (true, Some(op))
                if self.observed != Observed::Absent && self.desired != Desired::Deleted =>
            {
                format!("{} — {}", self.state_name(), op.progress())
            }
            _ => self.state_name().to_owned(),
        }
    }

    /// Whether the clear secret may still be shown at `now`.
    pub fn viewable(&self, now: Timestamp) -> bool {
        self.desired != Desired::Deleted && self.window_until.is_some_and(|until| now < until)
    }
}

/// The additional data bound to a sealed clear secret: which credential, which version.
pub fn secret_aad(id: CredentialId, version: u32) -> Vec<u8> {
    let mut aad = id.to_bytes().to_vec();
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// "2 days 23 hours left", "5 hours 12 minutes left", "40 seconds left".
pub fn time_left(now: Timestamp, until: Timestamp) -> String {
    let secs = (until.as_millis() - now.as_millis()).max(0) / 1000;
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let text = if d > 0 {
        format!("{} {}", unit(d, "day"), unit(h, "hour"))
    } else if h > 0 {
        format!("{} {}", unit(h, "hour"), unit(m, "minute"))
    } else if m > 0 {
        unit(m, "minute")
    } else {
        unit(secs, "second")
    };
    format!("{text} left")
}

#[cfg(test)]
pub(crate) mod tests;
