//! The data plane's answers on credential tasks: the credential's observed
//! state, its next task or a retry with backoff, the sealed secret a plane
//! made, and who is told — in one transaction with the audit record.

use super::team::{CommandResult, TeamActor};
use crate::dataplane::{DataPlaneError, Outcome};
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialOp, Observed};
use crate::domain::ids::TaskId;
use crate::domain::key_format::KeyId;
use crate::domain::notification::Notification;
use crate::domain::outbox::{Task, TaskState};
use crate::store::{Changes, SealedSecret};

/// What recording answers writes, kept until one transaction writes the
/// answers of a batch together.
#[derive(Default)]
pub(super) struct Recorded {
    credentials: Vec<Credential>,
    removed: Vec<Credential>,
    secrets: Vec<SealedSecret>,
    tasks: Vec<Task>,
    done: Vec<TaskId>,
    notifications: Vec<Notification>,
    audits: Vec<AuditRecord>,
    /// Keys the data plane no longer holds: the gateway forgets them.
    gone: Vec<KeyId>,
}

impl Recorded {
    /// Whether an answer about this credential is already kept: a second
    /// one must read what the first wrote.
    pub(super) fn has(&self, credential: crate::domain::ids::CredentialId) -> bool {
        (self.credentials.iter())
            .chain(&self.removed)
            .any(|c| c.id == credential)
    }

    /// Writes what was kept in one transaction.
    pub(super) fn commit(self, me: &TeamActor) -> CommandResult {
        if self.audits.is_empty() {
            return Ok(());
        }
        let changes = Changes {
            notifications: self.notifications,
            credentials: self.credentials.iter().collect(),
            removed_credentials: self.removed.iter().collect(),
            secrets: self.secrets.iter().collect(),
            tasks: self.tasks.iter().collect(),
            done_tasks: self.done,
            ..Changes::default()
        };
        me.store.commit_all(&changes, &self.audits)?;
        for key in &self.gone {
            me.gateway.set_desired(key, None);
        }
        if !self.tasks.is_empty() {
            me.kicker.kick();
        }
        Ok(())
    }
}

impl TeamActor {
    /// A failed attempt at `task`: counted, and either given up (a
    /// permanent error, or the retries used up) or planned again after a
    /// backoff. Returns whether it was given up, and the error as shown.
    pub(super) fn failed_attempt(
        &self,
        task: &mut Task,
        e: &DataPlaneError,
        jitter: f64,
        now: crate::clock::Timestamp,
    ) -> (bool, String) {
        task.attempts += 1;
        let gave_up =
            matches!(e, DataPlaneError::Permanent(_)) || self.backoff.gives_up(task.attempts);
        let error = e.to_string();
        task.last_error = Some(error.clone());
        if gave_up {
            task.state = TaskState::Failed;
        } else {
            let wait = self
                .backoff
                .delay(task.attempts, jitter)
                .max(e.retry_after());
            task.next_at = now.plus(wait);
        }
        (gave_up, error)
    }

    /// Records the data plane's answer to a credential task.
    pub(super) fn credential_result(
        &self,
        task: Task,
        result: Result<Outcome, DataPlaneError>,
        jitter: f64,
    ) -> CommandResult {
        let mut recorded = Recorded::default();
        self.stage_credential_result(task, result, jitter, &mut recorded)?;
        recorded.commit(self)
    }

    /// Works out what the data plane's answer to a credential task changes,
    /// into `recorded`.
    pub(super) fn stage_credential_result(
        &self,
        mut task: Task,
        result: Result<Outcome, DataPlaneError>,
        jitter: f64,
        recorded: &mut Recorded,
    ) -> CommandResult {
        let Some(work) = task.credential.clone() else {
            return Ok(());
        };
        let mut c = match self.store.credential(work.credential)? {
            Some(c) if c.team == self.team_id && c.task == Some(task.id) => c,
            _ => {
                recorded.audits.push(self.system_audit(
                    "task.dropped",
                    format!("dropped stale task {}", task.key),
                    None,
                ));
                recorded.done.push(task.id);
                return Ok(());
            }
        };
        let subject = Some(Subject::Credential(c.id));
        let now = self.clock.now();
        let plane = task.dataplane.clone();
        let was_absent = c.observed == Observed::Absent;
        let op = work.op.as_str();
        let mut tasks = Vec::new();
        let mut done = Vec::new();
        let mut removed = false;
        let mut secret = None;
        let mut gave_up_now = false;
        let detail = match result {
            Ok(outcome @ (Outcome::Done | Outcome::DoneWithSecret { .. })) => {
                if let Outcome::DoneWithSecret {
                    sealed,
                    until,
                    client_id,
                } = outcome
                {
                    if client_id.is_some() {
                        c.own_client_id = client_id;
                    }
                    c.window_until = Some(until);
                    secret = Some(SealedSecret {
                        credential: c.id,
                        version: work.secret_version,
                        until,
                        sealed,
                    });
                }
                if matches!(work.op, CredentialOp::Provision | CredentialOp::Renew)
                    && work.secret_version == c.secret_version
                {
                    c.agent_secret = None;
                }
                c.confirm(work.op, work.active, work.secret_version);
                if work.op == CredentialOp::Renew {
                    // What the plane now holds: a previous secret in grace, or none.
                    c.plane_grace = work.grace_until.is_some();
                }
                c.task = None;
                done.push(task.id);
                removed = c.is_gone();
                if !removed {
                    self.next_task(&mut c)?.add_to(&mut tasks, &mut done);
                }
                format!(
                    "{op} of credential {} ({}) done on {plane}",
                    c.name, c.key_id
                )
            }
            Ok(Outcome::HandedOver) => {
                task.state = TaskState::Waiting;
                task.attempts += 1;
                let text = format!(
                    "{op} of credential {} handed to the provider on {plane}",
                    c.name
                );
                tasks.push(task);
                text
            }
            Err(e) => {
                let (gave_up, error) = self.failed_attempt(&mut task, &e, jitter, now);
                c.last_error = Some(error.clone());
                let text = if gave_up {
                    c.failed = true;
                    gave_up_now = true;
                    format!(
                        "gave up on {op} of credential {} after {} attempt(s) on {plane}: {error}",
                        c.name, task.attempts
                    )
                } else {
                    format!(
                        "attempt {} to {op} credential {} on {plane} failed: {error}; next attempt at {}",
                        task.attempts,
                        c.name,
                        task.next_at.display()
                    )
                };
                tasks.push(task);
                text
            }
        };
        // The record names what happened to the credential: the first
        // confirmation that it is active, provisioning given up, or any
        // other step; the credential's events follow from it.
        let action = if gave_up_now {
            "credential.failed"
        } else if was_absent && c.observed == Observed::Active {
            "credential.active"
        } else {
            "credential.provisioning"
        };
        let audit = self.system_audit(action, detail, subject);
        let link = format!("/teams/{}/credentials/{}", self.team_id, c.id);
        let mut notifications = Vec::new();
        if was_absent && c.observed == Observed::Active {
            // Told to whoever created it: the rest of the team did not ask.
            notifications = self.notify_person(
                c.created_by,
                format!("Credential {} is active.", c.name),
                link.clone(),
            )?;
        }
        if c.failed {
            notifications = self.notify(
                self.team_id,
                format!(
                    "Provisioning of credential {} failed: {}",
                    c.name,
                    c.last_error.clone().unwrap_or_default()
                ),
                link,
            )?;
        }
        recorded.audits.push(audit);
        recorded.notifications.extend(notifications);
        recorded.secrets.extend(secret);
        recorded.tasks.extend(tasks);
        recorded.done.extend(done);
        if removed {
            recorded.gone.push(c.key_id);
            recorded.removed.push(c);
        } else {
            recorded.credentials.push(c);
        }
        Ok(())
    }
}
