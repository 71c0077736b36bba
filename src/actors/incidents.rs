//! Incident actions on a team's credentials: suspending many at once (an
//! application's, or one consumer's on a provider's product), and a key
//! reported leaked. Each credential changes through its own state machine
//! and gets its own data-plane task; a batch is written in chunks.

use actix::{Context, Handler, Message};

use super::team::TeamActor;
use crate::domain::abilities::Abilities;
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialAction, Desired, Leaked};
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

/// Suspends one live credential (deletes it where its plane cannot
/// suspend) for `reason`; the audit record of it, or `None` when its state
/// allows neither.
fn suspend_one(
    me: &TeamActor,
    c: &mut Credential,
    suspend: bool,
    reason: &str,
    actor: Option<UserId>,
    now: crate::clock::Timestamp,
) -> Option<AuditRecord> {
    let abilities = Abilities {
        suspend,
        ..Abilities::default()
    };
    // A plane that cannot suspend loses the credential instead.
    let action = if suspend {
        CredentialAction::Suspend
    } else {
        CredentialAction::Delete
    };
    c.act(action, abilities, now).ok()?;
    c.reason = Some(reason.to_owned());
    let detail = format!(
        "{} credential {} ({}): {reason}",
        action.verb(),
        c.name,
        c.key_id
    );
    let action_name = format!("credential.{}", action.event());
    let subject = Some(Subject::Credential(c.id));
    Some(match actor {
        Some(actor) => me.audit_about(actor, &action_name, detail, subject),
        None => me.system_audit(&action_name, detail, subject),
    })
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
                let suspend = msg.suspendable.contains(&c.dataplane);
                let Some(audit) = suspend_one(me, &mut c, suspend, &msg.reason, msg.actor, now)
                else {
                    continue;
                };
                me.next_task_with(&mut c, &mut grants)?
                    .add_to(&mut chunk.tasks, &mut chunk.done);
                chunk.audits.push(audit);
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

/// A secret reported exposed (by a secret-scanning service), given as its
/// keyed hash: the credential's own rule ([`Credential::leaked`]) says
/// whether it is a working secret of it, and which.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Option<Leaked>, super::team::TeamCommandError>")]
pub struct ReportLeak {
    pub id: CredentialId,
    /// The keyed hash (hex) of the reported secret.
    pub presented: String,
    /// Whether the credential's data plane can suspend.
    pub suspendable: bool,
    /// Where it was found, as the report says.
    pub whereabouts: String,
}

impl Handler<ReportLeak> for TeamActor {
    type Result = super::team::Durable<Option<Leaked>, super::team::TeamCommandError>;
    fn handle(&mut self, msg: ReportLeak, _: &mut Context<Self>) -> Self::Result {
        let mut found = None;
        let reply = self.commit_and_kick(|me| {
            let now = me.clock.now();
            let Ok(mut c) = me.own_credential(msg.id) else {
                return Ok(());
            };
            let Some(leak) = c.leaked(&msg.presented, now) else {
                return Ok(());
            };
            let at = &msg.whereabouts;
            let (action, told, said) = match leak {
                Leaked::Current => {
                    let reason = format!("reported exposed at {at}");
                    let Some(audit) = suspend_one(me, &mut c, msg.suspendable, &reason, None, now)
                    else {
                        return Ok(());
                    };
                    (
                        audit,
                        format!(
                            "Credential {} was found exposed at {at} and is suspended. Renew it for a new secret, and remove the old one from where it was found.",
                            c.name
                        ),
                        format!("credential {} ({}) is exposed at {at}", c.name, c.key_id),
                    )
                }
                Leaked::Previous => {
                    c.act(CredentialAction::EndGrace, Abilities::default(), now)?;
                    c.reason = Some(format!("previous secret reported exposed at {at}"));
                    let action = CredentialAction::EndGrace;
                    let audit = me.system_audit(
                        &format!("credential.{}", action.event()),
                        format!(
                            "{} credential {} ({}): its previous secret was reported exposed at {at}",
                            action.verb(),
                            c.name,
                            c.key_id
                        ),
                        Some(Subject::Credential(c.id)),
                    );
                    (
                        audit,
                        format!(
                            "The previous secret of credential {} was found exposed at {at}. Its grace period is ended: it no longer works, and the current secret keeps working. Remove the old one from where it was found.",
                            c.name
                        ),
                        format!(
                            "the previous secret of credential {} ({}) is exposed at {at}; its grace period is ended",
                            c.name, c.key_id
                        ),
                    )
                }
            };
            let leak_audit = me.system_audit(
                "credential.leak_reported",
                format!("a report said {said}"),
                Some(Subject::Credential(c.id)),
            );
            let (mut tasks, mut done) = (Vec::new(), Vec::new());
            me.next_task(&mut c)?.add_to(&mut tasks, &mut done);
            let link = format!("/teams/{}/credentials/{}", c.team, c.id);
            let changes = Changes {
                credentials: vec![&c],
                tasks: tasks.iter().collect(),
                done_tasks: done,
                notifications: me.notify(me.team_id, told, link)?,
                ..Changes::default()
            };
            me.store.commit_all(&changes, &[action, leak_audit])?;
            me.gateway.set_desired(&c.key_id, Some(c.wanted()));
            if leak == Leaked::Previous {
                me.gateway.end_grace(&c.key_id);
            }
            found = Some(leak);
            Ok(())
        });
        reply.map(|r| r.map(|()| found))
    }
}
