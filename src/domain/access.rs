//! Access requests: an application's access to one resource, through a
//! subscription of the same team whose plan includes the resource.
//!
//! Approval: pending → approved | rejected; pending | approved → revoked.
//! Provisioning follows approval: approving queues a grant on the resource's
//! data plane, revoking an access that may be on the data plane queues its
//! removal. At most one task is outstanding per access; a newer one replaces it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{
    AccessId, ApplicationId, PlanId, ProductId, ResourceId, SubscriptionId, TaskId, TeamId, UserId,
};
use super::subscription::Reason;
use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Pending,
    Approved,
    Rejected,
    Revoked,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Pending => "pending",
            Approval::Approved => "approved",
            Approval::Rejected => "rejected",
            Approval::Revoked => "revoked",
        }
    }

    /// A live request blocks a second one for the same application, resource and subscription.
    pub fn is_live(self) -> bool {
        matches!(self, Approval::Pending | Approval::Approved)
    }
}

impl fmt::Display for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provisioning {
    /// Nothing to do on the data plane (not approved).
    None,
    /// A task is queued or running.
    Pending,
    Provisioned,
    /// The task gave up; the provider can retry it.
    Failed,
    /// Removed from the data plane after revocation.
    Removed,
}

impl Provisioning {
    pub fn as_str(self) -> &'static str {
        match self {
            Provisioning::None => "none",
            Provisioning::Pending => "pending",
            Provisioning::Provisioned => "provisioned",
            Provisioning::Failed => "failed",
            Provisioning::Removed => "removed",
        }
    }
}

/// What a provisioning task does on the data plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskOp {
    Grant,
    Revoke,
}

impl TaskOp {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskOp::Grant => "grant",
            TaskOp::Revoke => "revoke",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessRequest {
    pub id: AccessId,
    /// The consumer team that owns the application and the subscription.
    pub team: TeamId,
    pub provider: TeamId,
    pub application: ApplicationId,
    pub product: ProductId,
    pub resource: ResourceId,
    pub subscription: SubscriptionId,
    pub plan: PlanId,
    pub dataplane: String,
    pub name: String,
    /// The provider's extra fields, by name.
    pub values: BTreeMap<String, String>,
    pub approval: Approval,
    pub provisioning: Provisioning,
    pub requested_by: UserId,
    pub created_at: Timestamp,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub provisioned_at: Option<Timestamp>,
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    /// Why it was rejected or revoked.
    #[serde(default)]
    pub reason: Option<String>,
    /// The outstanding provisioning task, if any.
    #[serde(default)]
    pub task: Option<TaskId>,
    /// The data plane's last error, while retrying or after giving up.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Bumped for each task, so every task has its own idempotency key.
    #[serde(default)]
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessEvent {
    Approve,
    Reject(Reason),
    /// The provider revokes, the subscription ended, or the application was archived.
    Revoke(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("This access request is {0}: it cannot be {1}.")]
    NotAllowed(Approval, &'static str),
    #[error("Only failed provisioning can be retried.")]
    NotFailed,
    #[error("Nothing is waiting for a person on this access.")]
    NothingWaiting,
    #[error(
        "The resource can only be requested through an active subscription whose plan includes it."
    )]
    NotInSubscription,
    #[error("The subscription and the application must belong to the same team.")]
    TeamsDiffer,
    #[error("This application already has a request for this resource through this subscription.")]
    AlreadyRequested,
    #[error("Not found.")]
    Missing,
}

impl AccessRequest {
    /// Applies a decision. Returns the task to queue on the data plane, if any.
    pub fn apply(
        &mut self,
        event: &AccessEvent,
        now: Timestamp,
    ) -> Result<Option<TaskOp>, AccessError> {
        use Approval as A;
        let task = match (self.approval, event) {
            (A::Pending, AccessEvent::Approve) => {
                self.approval = A::Approved;
                self.decided_at = Some(now);
                Some(TaskOp::Grant)
            }
            (A::Pending, AccessEvent::Reject(reason)) => {
                self.approval = A::Rejected;
                self.decided_at = Some(now);
                self.reason = Some(reason.as_str().to_owned());
                None
            }
            (A::Pending | A::Approved, AccessEvent::Revoke(reason)) => {
                let on_plane = self.approval == A::Approved;
                self.approval = A::Revoked;
                self.revoked_at = Some(now);
                self.reason = Some(reason.clone());
                on_plane.then_some(TaskOp::Revoke)
            }
            (from, AccessEvent::Approve) => return Err(AccessError::NotAllowed(from, "approved")),
            (from, AccessEvent::Reject(_)) => {
                return Err(AccessError::NotAllowed(from, "rejected"));
            }
            (from, AccessEvent::Revoke(_)) => return Err(AccessError::NotAllowed(from, "revoked")),
        };
        match task {
            Some(_) => self.queue(),
            None => {
                self.task = None;
            }
        }
        Ok(task)
    }

    /// The operation that brings the data plane in line with the approval state.
    pub fn wanted_op(&self) -> Option<TaskOp> {
        match self.approval {
            Approval::Approved => Some(TaskOp::Grant),
            Approval::Revoked if self.decided_at.is_some() => Some(TaskOp::Revoke),
            _ => None,
        }
    }

    fn queue(&mut self) {
        self.provisioning = Provisioning::Pending;
        self.last_error = None;
        self.version += 1;
    }

    /// Retrying after a failure: a new task for what is wanted.
    pub fn retry(&mut self) -> Result<TaskOp, AccessError> {
        match (self.provisioning, self.wanted_op()) {
            (Provisioning::Failed, Some(op)) => {
                self.queue();
                Ok(op)
            }
            _ => Err(AccessError::NotFailed),
        }
    }

    /// The idempotency key of the current task.
    pub fn task_key(&self, op: TaskOp) -> String {
        format!("access:{}:{}:{}", self.id, self.version, op.as_str())
    }

    /// The data plane did the work of `task`; a result for an older task is ignored.
    pub fn provisioned(&mut self, task: TaskId, op: TaskOp, now: Timestamp) -> bool {
        if self.task != Some(task) {
            return false;
        }
        self.task = None;
        self.last_error = None;
        match op {
            TaskOp::Grant => {
                self.provisioning = Provisioning::Provisioned;
                self.provisioned_at = Some(now);
            }
            TaskOp::Revoke => self.provisioning = Provisioning::Removed,
        }
        true
    }

    /// The data plane refused or failed; `gave_up` marks the access Failed.
    pub fn failed(&mut self, task: TaskId, error: &str, gave_up: bool) -> bool {
        if self.task != Some(task) {
            return false;
        }
        self.last_error = Some(error.to_owned());
        if gave_up {
            self.task = None;
            self.provisioning = Provisioning::Failed;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AccessRequest {
        let t = Timestamp::from_millis(1_000);
        AccessRequest {
            id: AccessId::generate(t),
            team: TeamId::generate(t),
            provider: TeamId::generate(t),
            application: ApplicationId::generate(t),
            product: ProductId::generate(t),
            resource: ResourceId::generate(t),
            subscription: SubscriptionId::generate(t),
            plan: PlanId::generate(t),
            dataplane: "embedded".into(),
            name: "App – API".into(),
            values: BTreeMap::new(),
            approval: Approval::Pending,
            provisioning: Provisioning::None,
            requested_by: UserId::generate(t),
            created_at: t,
            decided_at: None,
            provisioned_at: None,
            revoked_at: None,
            reason: None,
            task: None,
            last_error: None,
            version: 0,
        }
    }

    #[test]
    fn approving_queues_a_grant_and_its_result_provisions() {
        let mut a = request();
        let now = Timestamp::from_millis(2_000);
        assert_eq!(a.apply(&AccessEvent::Approve, now), Ok(Some(TaskOp::Grant)));
        assert_eq!(a.provisioning, Provisioning::Pending);
        let task = TaskId::generate(now);
        a.task = Some(task);
        let key = a.task_key(TaskOp::Grant);
        assert!(key.ends_with(":1:grant"), "{key}");
        // A result for some other task changes nothing.
        assert!(!a.provisioned(TaskId::generate(now), TaskOp::Grant, now));
        assert_eq!(a.provisioning, Provisioning::Pending);
        assert!(a.provisioned(task, TaskOp::Grant, now));
        assert_eq!(a.provisioning, Provisioning::Provisioned);
        assert_eq!(
            a.apply(&AccessEvent::Approve, now),
            Err(AccessError::NotAllowed(Approval::Approved, "approved"))
        );
    }

    #[test]
    fn rejecting_needs_no_task_and_revoking_removes_what_was_granted() {
        let now = Timestamp::from_millis(2_000);
        let mut rejected = request();
        let reason = Reason::parse("not for you").unwrap();
        assert_eq!(rejected.apply(&AccessEvent::Reject(reason), now), Ok(None));
        assert_eq!(rejected.reason.as_deref(), Some("not for you"));
        assert!(
            rejected
                .apply(&AccessEvent::Revoke("x".into()), now)
                .is_err()
        );

        let mut pending = request();
        assert_eq!(
            pending.apply(&AccessEvent::Revoke("subscription ended".into()), now),
            Ok(None)
        );
        assert_eq!(pending.approval, Approval::Revoked);

        let mut granted = request();
        granted.apply(&AccessEvent::Approve, now).unwrap();
        assert_eq!(
            granted.apply(&AccessEvent::Revoke("subscription ended".into()), now),
            Ok(Some(TaskOp::Revoke))
        );
        assert_eq!(granted.version, 2);
        assert_eq!(granted.wanted_op(), Some(TaskOp::Revoke));
    }

    #[test]
    fn a_failure_retries_until_given_up_then_the_provider_retries() {
        let now = Timestamp::from_millis(2_000);
        let mut a = request();
        a.apply(&AccessEvent::Approve, now).unwrap();
        let task = TaskId::generate(now);
        a.task = Some(task);
        assert!(a.failed(task, "connection refused", false));
        assert_eq!(a.provisioning, Provisioning::Pending);
        assert!(a.failed(task, "connection refused", true));
        assert_eq!(a.provisioning, Provisioning::Failed);
        assert_eq!(a.last_error.as_deref(), Some("connection refused"));
        assert_eq!(a.retry(), Ok(TaskOp::Grant));
        assert_eq!((a.provisioning, a.version), (Provisioning::Pending, 2));
        assert_eq!(a.retry(), Err(AccessError::NotFailed));
    }
}
