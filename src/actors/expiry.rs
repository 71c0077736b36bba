//! A team's credentials whose lifetime ends, and the reminders before it:
//! the scheduler finds them in the time-ordered indexes and sends each
//! team its due ones in one message; the team's actor changes them through
//! their state machine, one transaction per batch.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor};
use crate::domain::abilities::Abilities;
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialAction};
use crate::domain::expiry::{AtExpiry, countdown};
use crate::domain::ids::{CredentialId, TaskId};
use crate::domain::notification::Notification;
use crate::domain::outbox::Task;
use crate::store::Changes;

/// Credentials of this team whose lifetime has ended.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct ExpireDue {
    pub ids: Vec<CredentialId>,
}

/// Credentials of this team whose reminder before expiry is due.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct RemindDue {
    pub ids: Vec<CredentialId>,
}

/// What one batch writes.
#[derive(Default)]
struct Batch {
    credentials: Vec<Credential>,
    tasks: Vec<Task>,
    done: Vec<TaskId>,
    notifications: Vec<Notification>,
    audits: Vec<AuditRecord>,
}

impl Batch {
    fn commit(&self, me: &TeamActor) -> CommandResult {
        if self.credentials.is_empty() {
            return Ok(());
        }
        let changes = Changes {
            credentials: self.credentials.iter().collect(),
            tasks: self.tasks.iter().collect(),
            done_tasks: self.done.clone(),
            notifications: self.notifications.clone(),
            ..Changes::default()
        };
        me.store.commit_all(&changes, &self.audits)?;
        for c in &self.credentials {
            me.gateway.set_desired(&c.key_id, Some(c.wanted()));
        }
        Ok(())
    }
}

/// Credentials per transaction: large write sets cost more than their size.
const CHUNK: usize = 100;

impl Handler<ExpireDue> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: ExpireDue, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
            let now = me.clock.now();
            let members = me.store.members(me.team_id)?;
            let mut batch = Batch::default();
            let mut names = Vec::new();
            let mut removed = 0;
            let mut grants = super::credentials::Grants::default();
            for read in me.store.credentials_by_id(&msg.ids) {
                if batch.credentials.len() == CHUNK {
                    batch.notify(&members, me, &names, removed, now);
                    batch.commit(me)?;
                    batch = Batch::default();
                    (names, removed) = (Vec::new(), 0);
                }
                let Ok(Some(mut c)) = read else {
                    continue;
                };
                if c.team != me.team_id {
                    continue;
                }
                // Renewed or deleted since the sweep looked: nothing to do.
                if c.act(CredentialAction::Expire, Abilities::ALL, now)
                    .is_err()
                {
                    continue;
                }
                me.next_task_with(&mut c, &mut grants)?
                    .add_to(&mut batch.tasks, &mut batch.done);
                let detail = match c.at_expiry {
                    AtExpiry::Suspend => "suspended",
                    AtExpiry::Deprovision => {
                        removed += 1;
                        "removed from the data plane"
                    }
                };
                names.push((c.id, c.name.clone()));
                batch.audits.push(me.system_audit(
                    "credential.expired",
                    format!(
                        "credential {} ({}) expired and is {detail}",
                        c.name, c.key_id
                    ),
                    Some(Subject::Credential(c.id)),
                ));
                batch.credentials.push(c);
            }
            batch.notify(&members, me, &names, removed, now);
            batch.commit(me)
        })
    }
}

impl Batch {
    /// One notice per member for the credentials of this batch that expired
    /// (named, up to five), instead of one per credential.
    fn notify(
        &mut self,
        members: &[crate::domain::team::Membership],
        me: &TeamActor,
        names: &[(CredentialId, String)],
        removed: usize,
        now: crate::clock::Timestamp,
    ) {
        let (text, link) = match names {
            [] => return,
            [(id, name)] => (
                if removed == 1 {
                    format!("Credential {name} expired: it is being removed from the data plane.")
                } else {
                    format!("Credential {name} expired: it is suspended, renew it to use it again.")
                },
                format!("/teams/{}/credentials/{id}", me.team_id),
            ),
            many => {
                let mut shown: Vec<&str> = many.iter().take(5).map(|(_, n)| n.as_str()).collect();
                if many.len() > 5 {
                    shown.push("…");
                }
                (
                    format!(
                        "{} credentials expired ({}): {} suspended, {removed} being removed. Renew the suspended ones to use them again.",
                        many.len(),
                        shown.join(", "),
                        many.len() - removed
                    ),
                    format!("/teams/{}/credentials/{}", me.team_id, many[0].0),
                )
            }
        };
        self.notifications.extend(
            members
                .iter()
                .map(|m| Notification::new(m.user_id, now, &text, &link)),
        );
    }
}

impl Handler<RemindDue> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: RemindDue, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let now = me.clock.now();
            let members = me.store.members(me.team_id)?;
            let mut batch = Batch::default();
            for id in msg.ids {
                let Ok(mut c) = me.own_credential(id) else {
                    continue;
                };
                let (Some(days), Some(expires)) =
                    (c.due_reminder(&me.reminder_days, now), c.expires_at)
                else {
                    // Not due after all (renewed meanwhile): plan it again.
                    c.plan_reminder(&me.reminder_days, now);
                    batch.credentials.push(c);
                    continue;
                };
                c.reminded(days, &me.reminder_days, now);
                let text = format!(
                    "Credential {} expires {} ({}): renew it before then.",
                    c.name,
                    countdown(now, expires),
                    expires.display()
                );
                let link = format!("/teams/{}/credentials/{}", me.team_id, c.id);
                batch.notifications.extend(
                    members
                        .iter()
                        .map(|m| Notification::new(m.user_id, now, &text, &link)),
                );
                batch.audits.push(me.system_audit(
                    "credential.expiring",
                    format!(
                        "reminded the team that credential {} ({}) expires {}",
                        c.name,
                        c.key_id,
                        expires.display()
                    ),
                    Some(Subject::Credential(c.id)),
                ));
                batch.credentials.push(c);
            }
            batch.commit(me)
        })
    }
}
