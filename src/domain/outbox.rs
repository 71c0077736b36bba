//! Provisioning tasks: work for a data plane, written in the same
//! transaction as the state change that asks for it, then carried out in the
//! background with retries.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::access::TaskOp;
use super::credential::CredentialOp;
use super::ids::{
    AccessId, ApplicationId, CredentialId, ProductId, ResourceId, SubscriptionId, TaskId, TeamId,
};
use super::key_format::KeyId;
use super::resource::{CredentialType, Quota};
use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    /// Waiting for its next attempt (in the due index).
    Due,
    /// Handed to a person: the provider provisions by hand.
    Waiting,
    /// Given up after the last attempt, or marked failed by the provider.
    Failed,
}

/// What the data plane needs to know to carry out a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessGrant {
    pub access: AccessId,
    pub team: TeamId,
    pub team_name: String,
    pub application: ApplicationId,
    pub application_name: String,
    pub resource: ResourceId,
    pub resource_name: String,
    pub route: String,
    pub plan_name: String,
    pub quota: Quota,
    /// The subscription the quota is counted against.
    #[serde(default)]
    pub subscription: Option<SubscriptionId>,
    #[serde(default)]
    pub product: Option<ProductId>,
    #[serde(default)]
    pub product_name: String,
}

/// A step for one credential on the data plane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialWork {
    pub credential: CredentialId,
    pub key_id: KeyId,
    pub kind: CredentialType,
    pub op: CredentialOp,
    /// Whether the credential should work once provisioned.
    pub active: bool,
    pub secret_version: u32,
    /// The keyed hash (hex) of the secret: all a data plane keeps.
    pub secret_hash: String,
    /// For a renewal: the previous secret keeps working until then.
    #[serde(default)]
    pub grace_until: Option<Timestamp>,
    /// For an agent that does not make up secrets: the clear secret to
    /// install, sealed for this credential and version (see [`agent_aad`]).
    #[serde(default)]
    pub sealed_secret: Option<Vec<u8>>,
}

/// The additional data that binds a secret sealed for an agent to its credential and version.
pub fn agent_aad(credential: CredentialId, version: u32) -> Vec<u8> {
    let mut aad = b"agent:".to_vec();
    aad.extend_from_slice(&credential.to_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    /// Unique per intended change: `access:<id>:<version>:<op>` for an
    /// access, `credential:<id>:<n>:<op>` for a credential. A data plane that
    /// sees a key again answers as before and changes nothing.
    pub key: String,
    /// For access tasks; a credential task carries its step in `credential`.
    pub op: TaskOp,
    /// The access the task is about (for a credential: the access it works under).
    pub grant: AccessGrant,
    #[serde(default)]
    pub credential: Option<CredentialWork>,
    pub dataplane: String,
    /// The provider team, for its Provisioning queue.
    pub provider: TeamId,
    pub state: TaskState,
    pub attempts: u32,
    pub next_at: Timestamp,
    #[serde(default)]
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

impl Task {
    /// The operation's name, as agents and pages see it.
    pub fn op_name(&self) -> &'static str {
        match &self.credential {
            Some(w) => w.op.as_str(),
            None => self.op.as_str(),
        }
    }
}

/// Retry timing: exponential backoff with full jitter.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Backoff {
    /// The longest wait after `attempts` failed attempts: base × 2^(attempts-1), capped.
    pub fn ceiling(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(40);
        self.base
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// The wait before the next attempt: uniformly random in [0, ceiling]
    /// (`unit` in [0, 1) comes from the caller, so tests can choose it).
    pub fn delay(&self, attempts: u32, unit: f64) -> Duration {
        self.ceiling(attempts).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// Whether `attempts` failed attempts use up the budget.
    pub fn gives_up(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}

/// Grants and tasks with fresh ids, for the unit tests of whoever carries
/// tasks out.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;

    pub(crate) fn grant() -> AccessGrant {
        let now = Timestamp::from_millis(1_000);
        AccessGrant {
            access: AccessId::generate(now),
            team: TeamId::generate(now),
            team_name: "Buyers".into(),
            application: ApplicationId::generate(now),
            application_name: "app".into(),
            resource: ResourceId::generate(now),
            resource_name: "Forecast".into(),
            route: "/weather/".into(),
            plan_name: "Unlimited".into(),
            quota: Quota::default(),
            subscription: None,
            product: None,
            product_name: String::new(),
        }
    }

    /// A due task of `grant` on `dataplane`.
    pub(crate) fn task(
        grant: &AccessGrant,
        key: &str,
        op: TaskOp,
        dataplane: &str,
        credential: Option<CredentialWork>,
    ) -> Task {
        let now = Timestamp::from_millis(1_000);
        Task {
            id: TaskId::generate(now),
            key: key.into(),
            op,
            grant: grant.clone(),
            credential,
            dataplane: dataplane.into(),
            provider: grant.team,
            state: TaskState::Due,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_below_it() {
        let b = Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            max_attempts: 5,
        };
        let ceilings: Vec<u64> = (1..=7).map(|n| b.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(b.delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(b.delay(3, 0.0), Duration::ZERO);
        assert!(b.delay(100, 0.999) <= b.cap);
        assert!(!b.gives_up(4) && b.gives_up(5));
    }
}
