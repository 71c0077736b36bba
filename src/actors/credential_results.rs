//! The data plane's answers on credential tasks: the credential's observed
//! state, its next task or a retry with backoff, the sealed secret a plane
//! made, and who is told — in one transaction with the audit record.

use super::team::{CommandResult, TeamActor};
use crate::dataplane::{DataPlaneError, Outcome};
use crate::domain::audit::Subject;
use crate::domain::credential::{CredentialOp, Observed};
use crate::domain::outbox::{Task, TaskState};
use crate::store::{Changes, SealedSecret};

impl TeamActor {
    /// Records the data plane's answer to a credential task.
    pub(super) fn credential_result(
        &self,
        mut task: Task,
        result: Result<Outcome, DataPlaneError>,
        jitter: f64,
    ) -> CommandResult {
        let Some(work) = task.credential.clone() else {
            return Ok(());
        };
        let mut c = match self.store.credential(work.credential)? {
            Some(c) if c.team == self.team_id && c.task == Some(task.id) => c,
            _ => {
                let audit = self.system_audit(
                    "task.dropped",
                    format!("dropped stale task {}", task.key),
                    None,
                );
                let changes = Changes {
                    done_tasks: vec![task.id],
                    ..Changes::default()
                };
                return Ok(self.store.commit(&changes, &audit)?);
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
                task.attempts += 1;
                let gave_up = matches!(e, DataPlaneError::Permanent(_))
                    || self.backoff.gives_up(task.attempts);
                let error = e.to_string();
                c.last_error = Some(error.clone());
                task.last_error = Some(error.clone());
                let text = if gave_up {
                    c.failed = true;
                    task.state = TaskState::Failed;
                    format!(
                        "gave up on {op} of credential {} after {} attempt(s) on {plane}: {error}",
                        c.name, task.attempts
                    )
                } else {
                    let wait = self
                        .backoff
                        .delay(task.attempts, jitter)
                        .max(e.retry_after());
                    task.next_at = now.plus(wait);
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
        let audit = self.system_audit("credential.provisioning", detail, subject);
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
        let changes = Changes {
            notifications,
            credentials: if removed { vec![] } else { vec![&c] },
            removed_credentials: if removed { vec![&c] } else { vec![] },
            secrets: secret.iter().collect(),
            tasks: tasks.iter().collect(),
            done_tasks: done,
            ..Changes::default()
        };
        self.store.commit(&changes, &audit)?;
        if removed {
            self.gateway.set_desired(&c.key_id, None);
        }
        if !tasks.is_empty() {
            self.kicker.kick();
        }
        Ok(())
    }
}
