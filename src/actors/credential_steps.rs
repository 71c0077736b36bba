//! Second chances for a credential: the provider marks a manual data plane's
//! step done or failed, or retries it; the consumer retries what gave up.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor};
use crate::dataplane::{DataPlaneError, Outcome};
use crate::domain::access::AccessError;
use crate::domain::audit::Subject;
use crate::domain::credential::CredentialError;
use crate::domain::ids::{CredentialId, TaskId, TeamId, UserId};
use crate::domain::outbox::TaskState;
use crate::store::Changes;

/// The provider's hand on a credential task: done by hand, failed, or retried.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct CredentialTaskStep {
    pub task: TaskId,
    pub step: super::access::ProviderStep,
    pub reason: String,
    /// Marking a provision or renewal done on a plane whose provider makes
    /// the secrets: the secret they entered, sealed for its view window.
    pub secret: Option<(Vec<u8>, crate::clock::Timestamp)>,
    /// With it, for an OAuth client: the client id the provider's gateway made, if its own.
    pub client_id: Option<String>,
    pub actor: UserId,
    pub provider: TeamId,
}

impl Handler<CredentialTaskStep> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: CredentialTaskStep, _: &mut Context<Self>) -> Reply {
        use super::access::ProviderStep;
        self.commit_and_kick(|me| {
            let task = match me.store.task(msg.task)? {
                Some(t)
                    if t.provider == msg.provider
                        && t.grant.team == me.team_id
                        && t.credential.is_some() =>
                {
                    t
                }
                _ => return Err(CredentialError::Missing.into()),
            };
            match (msg.step, task.state) {
                (ProviderStep::MarkProvisioned, TaskState::Waiting) => {
                    let done = match msg.secret.clone() {
                        Some((sealed, until)) => Outcome::DoneWithSecret {
                            sealed,
                            until,
                            client_id: msg.client_id.clone(),
                        },
                        None => Outcome::Done,
                    };
                    me.credential_result(task, Ok(done), 0.0)
                }
                (ProviderStep::MarkFailed, TaskState::Waiting) => me.credential_result(
                    task,
                    Err(DataPlaneError::Permanent(msg.reason.clone())),
                    0.0,
                ),
                (ProviderStep::Retry, TaskState::Failed) => {
                    let id = task.credential.as_ref().map(|w| w.credential);
                    let Some(mut c) = id.map(|id| me.store.credential(id)).transpose()?.flatten()
                    else {
                        return Err(CredentialError::Missing.into());
                    };
                    // The failed task is this credential's own only while it
                    // is still the one the credential waits on.
                    if c.task == Some(task.id) {
                        c.failed = true;
                    }
                    let (mut tasks, mut done) = (Vec::new(), vec![task.id]);
                    me.next_task(&mut c)?.add_to(&mut tasks, &mut done);
                    done.dedup();
                    let audit = me.audit_about(
                        msg.actor,
                        "credential.retried",
                        format!("retried provisioning of credential {}", c.name),
                        Some(Subject::Credential(c.id)),
                    );
                    let changes = Changes {
                        credentials: vec![&c],
                        tasks: tasks.iter().collect(),
                        done_tasks: done,
                        ..Changes::default()
                    };
                    me.store.commit(&changes, &audit)?;
                    Ok(())
                }
                _ => Err(AccessError::NothingWaiting.into()),
            }
        })
    }
}

/// The consumer's own Retry provisioning after the data plane gave up.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct RetryCredential {
    pub id: CredentialId,
    pub actor: UserId,
}

impl Handler<RetryCredential> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: RetryCredential, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
            let mut c = me.own_credential(msg.id)?;
            if !c.failed {
                return Err(AccessError::NotFailed.into());
            }
            let (mut tasks, mut done) = (Vec::new(), Vec::new());
            me.next_task(&mut c)?.add_to(&mut tasks, &mut done);
            let audit = me.audit_about(
                msg.actor,
                "credential.retried",
                format!("retried provisioning of credential {}", c.name),
                Some(Subject::Credential(c.id)),
            );
            let changes = Changes {
                credentials: vec![&c],
                tasks: tasks.iter().collect(),
                done_tasks: done,
                ..Changes::default()
            };
            me.store.commit(&changes, &audit)?;
            Ok(())
        })
    }
}
