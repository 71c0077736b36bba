//! The data plane's answers on access tasks, and the provider's hand on
//! provisioning: marking work done or failed, and retrying it.

use actix::{Context, Handler, Message};

use super::credential_results::Recorded;
use super::team::{CommandResult, Reply, TeamActor, TeamCommandError};
use crate::dataplane::{DataPlaneError, Outcome};
use crate::domain::access::{AccessError, Provisioning, TaskOp};
use crate::domain::audit::Subject;
use crate::domain::ids::{AccessId, TaskId, TeamId, UserId};
use crate::domain::outbox::{Task, TaskState};
use crate::store::{Changes, StoreError};

/// What the engine got from a data plane for one task.
#[derive(Debug, Clone)]
pub struct ProvisionResult {
    pub task: TaskId,
    pub result: Result<Outcome, DataPlaneError>,
    /// A random number in [0, 1) for the retry's jitter.
    pub jitter: f64,
}

/// The answers of several tasks of one team, recorded together: the
/// answers on credentials share one transaction (an answer on a credential
/// already in it, and an answer on an access, first write what came before).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), StoreError>")]
pub struct ProvisionResults(pub Vec<ProvisionResult>);

impl Handler<ProvisionResults> for TeamActor {
    type Result = super::team::Durable<(), StoreError>;
    fn handle(&mut self, msg: ProvisionResults, _: &mut Context<Self>) -> Self::Result {
        let reply = self.commit(|me| {
            let mut recorded = Recorded::default();
            for result in msg.0 {
                let Some(task) = me.store.task(result.task)? else {
                    continue; // replaced or finished meanwhile
                };
                match &task.credential {
                    Some(work) => {
                        if recorded.has(work.credential) {
                            std::mem::take(&mut recorded).commit(me)?;
                        }
                        me.stage_credential_result(
                            task,
                            result.result,
                            result.jitter,
                            &mut recorded,
                        )?;
                    }
                    None => {
                        std::mem::take(&mut recorded).commit(me)?;
                        me.access_result(task, result)?;
                    }
                }
            }
            recorded.commit(me)
        });
        reply.map(|r| {
            r.map_err(|e| match e {
                TeamCommandError::Store(s) => s,
                other => StoreError::Corrupt(other.to_string()),
            })
        })
    }
}

impl TeamActor {
    /// Records the data plane's answer to an access task.
    fn access_result(&self, mut task: Task, msg: ProvisionResult) -> CommandResult {
        let access = self.store.access(task.grant.access)?;
        let Some(mut access) = access.filter(|a| a.team == self.team_id) else {
            let audit = self.system_audit(
                "task.dropped",
                format!("dropped task {} of a removed access", task.key),
                None,
            );
            return self
                .store
                .commit(
                    &Changes {
                        done_tasks: vec![task.id],
                        ..Changes::default()
                    },
                    &audit,
                )
                .map_err(Into::into);
        };
        let subject = Some(Subject::Access(access.id));
        let now = self.clock.now();
        let plane = task.dataplane.clone();
        let (changes_task, done, audit) = match msg.result {
            Ok(Outcome::Done | Outcome::DoneWithSecret { .. }) => {
                access.provisioned(task.id, task.op, now);
                let what = match task.op {
                    TaskOp::Grant => "provisioned",
                    TaskOp::Revoke => "removed",
                };
                let audit = self.system_audit(
                    "access.provisioned",
                    format!("{what} access “{}” on {plane}", access.name),
                    subject,
                );
                (None, Some(task.id), audit)
            }
            Ok(Outcome::HandedOver) => {
                task.state = TaskState::Waiting;
                task.attempts += 1;
                let audit = self.system_audit(
                    "access.handed_over",
                    format!(
                        "handed “{}” ({}) to the provider to carry out by hand on {plane}",
                        access.name,
                        task.op.as_str()
                    ),
                    subject,
                );
                (Some(task), None, audit)
            }
            Err(e) => {
                let (gave_up, error) = self.failed_attempt(&mut task, &e, msg.jitter, now);
                access.failed(task.id, &error, gave_up);
                let detail = if gave_up {
                    format!(
                        "gave up on “{}” after {} attempt(s) on {plane}: {error}",
                        access.name, task.attempts
                    )
                } else {
                    format!(
                        "attempt {} on {plane} failed: {error}; next attempt at {}",
                        task.attempts,
                        task.next_at.display()
                    )
                };
                (
                    Some(task),
                    None,
                    self.system_audit("access.provisioning_failed", detail, subject),
                )
            }
        };
        let notifications = if access.provisioning == Provisioning::Failed {
            self.notify(
                self.team_id,
                format!(
                    "Provisioning of access “{}” failed: {}",
                    access.name,
                    access.last_error.clone().unwrap_or_default()
                ),
                format!(
                    "/teams/{}/applications/{}",
                    self.team_id, access.application
                ),
            )?
        } else {
            Vec::new()
        };
        let changes = Changes {
            accesses: vec![&access],
            tasks: changes_task.iter().collect(),
            done_tasks: done.into_iter().collect(),
            notifications,
            ..Changes::default()
        };
        self.store.commit(&changes, &audit).map_err(Into::into)
    }
}

/// The provider's hand on provisioning: mark work done or failed, or retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStep {
    MarkProvisioned,
    MarkFailed,
    Retry,
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct ProvisioningStep {
    pub access: AccessId,
    pub step: ProviderStep,
    /// For a failure: what went wrong, shown to the consumer.
    pub reason: String,
    pub actor: UserId,
    pub provider: TeamId,
}

impl Handler<ProvisioningStep> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: ProvisioningStep, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
            let mut access = match me.store.access(msg.access)? {
                Some(a) if a.team == me.team_id && a.provider == msg.provider => a,
                _ => return Err(AccessError::Missing.into()),
            };
            let subject = Some(Subject::Access(access.id));
            let mut tasks = Vec::new();
            let mut done_tasks = Vec::new();
            let detail = match msg.step {
                ProviderStep::Retry => {
                    let op = access.retry()?;
                    let (task, replaced) = me.task_for(&mut access, op)?;
                    done_tasks.extend(replaced);
                    tasks.push(task);
                    format!("retried provisioning of “{}”", access.name)
                }
                step => {
                    let waiting = access
                        .task
                        .map(|t| me.store.task(t))
                        .transpose()?
                        .flatten()
                        .filter(|t| t.state == TaskState::Waiting);
                    let Some(mut task) = waiting else {
                        return Err(AccessError::NothingWaiting.into());
                    };
                    if step == ProviderStep::MarkProvisioned {
                        access.provisioned(task.id, task.op, me.clock.now());
                        done_tasks.push(task.id);
                        format!(
                            "marked “{}” as done by hand ({})",
                            access.name,
                            task.op.as_str()
                        )
                    } else {
                        access.failed(task.id, &msg.reason, true);
                        task.state = TaskState::Failed;
                        task.last_error = Some(msg.reason.clone());
                        tasks.push(task);
                        format!("marked “{}” as failed: {}", access.name, msg.reason)
                    }
                }
            };
            let action = match msg.step {
                ProviderStep::Retry => "access.retried",
                ProviderStep::MarkProvisioned => "access.provisioned",
                ProviderStep::MarkFailed => "access.provisioning_failed",
            };
            let audit = me.audit_about(msg.actor, action, detail, subject);
            let changes = Changes {
                accesses: vec![&access],
                tasks: tasks.iter().collect(),
                done_tasks,
                ..Changes::default()
            };
            me.store.commit(&changes, &audit)?;
            Ok(())
        })
    }
}
