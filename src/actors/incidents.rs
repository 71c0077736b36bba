//! Incident actions on a team's credentials: suspending many at once (an
//! application's, or one consumer's on a provider's product), and a key
//! reported leaked. Each credential changes through its own state machine
//! and gets its own data-plane task; a batch is written in chunks.

use actix::{Context, Handler, Message};

use super::team::TeamActor;
use crate::domain::abilities::Abilities;
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialAction, Desired};
use crate::domain::ids::{CredentialId, TaskId, TeamId, UserId};
use crate::domain::notification::Notification;
use crate::domain::outbox::Task;
use crate::store::Changes;

/// Credentials per transaction.
const CHUNK: usize = 100;

/// Suspends these credentials (those still active); the others are left.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<usize, super::team::TeamCommandError>")]
pub struct SuspendMany {
    pub ids: Vec<CredentialId>,
    /// The plane abilities of each credential's data plane, by name.
    pub suspendable: Vec<String>,
    pub reason: String,
    /// `None`: Agora itself (a leaked-key report).
    pub actor: Option<UserId>,
    /// The provider team acting, when it is not the consumer.
    pub provider: Option<TeamId>,
    /// The words of the team's notice, with `{n}` for how many.
    pub notice: String,
    pub link: String,
}

#[derive(Default)]
struct Chunk {
    credentials: Vec<Credential>,
    tasks: Vec<Task>,
    done: Vec<TaskId>,
    audits: Vec<AuditRecord>,
}

impl Chunk {
    fn write(
        &self,
        me: &TeamActor,
        notes: Vec<Notification>,
    ) -> Result<(), super::team::TeamCommandError> {
        if self.credentials.is_empty() && notes.is_empty() {
            return Ok(());
        }
        let changes = Changes {
            credentials: self.credentials.iter().collect(),
            tasks: self.tasks.iter().collect(),
            done_tasks: self.done.clone(),
            notifications: notes,
            ..Changes::default()
        };
        me.store.commit_all(&changes, &self.audits)?;
        for c in &self.credentials {
            me.gateway.set_desired(&c.key_id, Some(c.wanted()));
        }
        Ok(())
    }
}

impl Handler<SuspendMany> for TeamActor {
    type Result = super::team::Durable<usize, super::team::TeamCommandError>;
    fn handle(&mut self, msg: SuspendMany, _: &mut Context<Self>) -> Self::Result {
        let mut count = 0;
        let reply = self.commit_and_kick(|me| {
            let now = me.clock.now();
            let mut chunk = Chunk::default();
            let mut grants = super::credentials::Grants::default();
            for id in &msg.ids {
                if chunk.credentials.len() == CHUNK {
                    chunk.write(me, Vec::new())?;
                    chunk = Chunk::default();
                }
                let Ok(mut c) = me.own_credential(*id) else {
                    continue;
                };
                if msg.provider.is_some_and(|p| p != c.provider) || c.desired != Desired::Active {
                    continue;
                }
                let abilities = Abilities {
                    suspend: msg.suspendable.contains(&c.dataplane),
                    ..Abilities::default()
                };
                // A plane that cannot suspend loses the credential instead.
                let action = if abilities.suspend {
                    CredentialAction::Suspend
                } else {
                    CredentialAction::Delete
                };
                if c.act(action, abilities, now).is_err() {
                    continue;
                }
                c.reason = Some(msg.reason.clone());
                me.next_task_with(&mut c, &mut grants)?
                    .add_to(&mut chunk.tasks, &mut chunk.done);
                let detail = format!(
                    "{} credential {} ({}): {}",
                    action.verb(),
                    c.name,
                    c.key_id,
                    msg.reason
                );
                let action_name = format!("credential.{}", action.event());
                chunk.audits.push(match msg.actor {
                    Some(actor) => {
                        me.audit_about(actor, &action_name, detail, Some(Subject::Credential(c.id)))
                    }
                    None => me.system_audit(&action_name, detail, Some(Subject::Credential(c.id))),
                });
                chunk.credentials.push(c);
                count += 1;
            }
            let text = msg.notice.replace("{n}", &count.to_string());
            let notes = if count > 0 {
                me.store
                    .members(me.team_id)?
                    .into_iter()
                    .map(|m| Notification::new(m.user_id, now, &text, &msg.link))
                    .collect()
            } else {
                Vec::new()
            };
            chunk.write(me, notes)
        });
        reply.map(|r| r.map(|()| count))
    }
}
