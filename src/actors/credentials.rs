//! A consumer team's actor writes its credentials: creating one, and the
//! user's and the provider's actions on it (the data plane's answers are in
//! `credential_results`). Every
//! change, its task and its sealed secret are one transaction; the gateway
//! learns the desired state as soon as it is committed.

use actix::{Context, Handler, Message};

use super::staged_creates::{StagedAnswer, StagedCreate};
use super::team::{CommandResult, Reply, TeamActor, TeamCommandError};
use crate::clock::Timestamp;
use crate::domain::abilities::Abilities;
use crate::domain::access::{AccessError, Approval, Provisioning};
use crate::domain::application::ApplicationError;
use crate::domain::audit::Subject;
use crate::domain::credential::{
    Credential, CredentialAction, CredentialError, CredentialOp, Desired, Observed,
};
use crate::domain::expiry::{AtExpiry, Lifetime};
use crate::domain::ids::{AccessId, CredentialId, TaskId, TeamId, UserId};
use crate::domain::key_format::KeyId;
use crate::domain::outbox::{CredentialWork, Task, TaskState};
use crate::domain::resource::CredentialType;
use crate::store::{Changes, SealedSecret};

pub use super::credential_steps::{CredentialTaskStep, RetryCredential};

/// The grants of a batch's accesses, read once each.
#[derive(Default)]
pub(super) struct Grants(std::collections::HashMap<AccessId, crate::domain::outbox::AccessGrant>);

/// A credential's next task, and the failed task it replaces.
#[derive(Debug, Default)]
pub(super) struct NextTask {
    pub task: Option<Task>,
    pub replaced: Option<TaskId>,
}

impl NextTask {
    /// Adds the task to `tasks` and what it replaces to `done`.
    pub fn add_to(self, tasks: &mut Vec<Task>, done: &mut Vec<TaskId>) {
        tasks.extend(self.task);
        done.extend(self.replaced);
    }
}

/// A new secret: its keyed hash for the data plane and, when the data plane
/// has a view window, the sealed clear value until then.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub hash: String,
    pub sealed: Option<(Vec<u8>, Timestamp)>,
    /// For an agent that installs Agora's secrets: the secret sealed for it.
    pub for_agent: Option<Vec<u8>>,
}

impl TeamActor {
    /// The task that takes the credential's next step, if one is needed and
    /// none is outstanding. A task that failed is never outstanding: it is
    /// replaced (returned in [`NextTask::replaced`], to be removed from the
    /// outbox in the same commit), so every new desired state reaches the
    /// data plane.
    pub(super) fn next_task(&self, c: &mut Credential) -> Result<NextTask, TeamCommandError> {
        self.next_task_with(c, &mut Grants::default())
    }

    /// [`Self::next_task`] for a batch: each access's grant is read once.
    pub(super) fn next_task_with(
        &self,
        c: &mut Credential,
        grants: &mut Grants,
    ) -> Result<NextTask, TeamCommandError> {
        if c.task.is_some() && !c.failed {
            return Ok(NextTask::default());
        }
        let replaced = if c.failed { c.task.take() } else { None };
        c.failed = false;
        c.last_error = None;
        let Some(op) = c.next_op() else {
            return Ok(NextTask {
                task: None,
                replaced,
            });
        };
        let grant = match grants.0.get(&c.access) {
            Some(g) => g.clone(),
            None => {
                let Some(access) = self.store.access(c.access)? else {
                    return Err(AccessError::Missing.into());
                };
                let g = self.grant_of(&access)?;
                grants.0.insert(c.access, g.clone());
                g
            }
        };
        let now = self.clock.now();
        c.task_seq += 1;
        let task = Task {
            id: TaskId::generate(now),
            key: format!("credential:{}:{}:{}", c.id, c.task_seq, op.as_str()),
            op: crate::domain::access::TaskOp::Grant,
            grant,
            credential: Some(CredentialWork {
                credential: c.id,
                key_id: c.key_id,
                kind: c.kind,
                op,
                active: c.desired == Desired::Active,
                secret_version: c.secret_version,
                secret_hash: c.secret_hash.clone(),
                grace_until: c.grace_until,
                sealed_secret: match op {
                    CredentialOp::Provision | CredentialOp::Renew => c.agent_secret.clone(),
                    _ => None,
                },
            }),
            dataplane: c.dataplane.clone(),
            provider: c.provider,
            state: TaskState::Due,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
        };
        c.task = Some(task.id);
        Ok(NextTask {
            task: Some(task),
            replaced,
        })
    }

    pub(super) fn own_credential(&self, id: CredentialId) -> Result<Credential, TeamCommandError> {
        match self.store.credential(id)? {
            Some(c) if c.team == self.team_id => Ok(c),
            _ => Err(CredentialError::Missing.into()),
        }
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct CreateCredential {
    pub id: CredentialId,
    pub access: AccessId,
    pub kind: CredentialType,
    pub name: String,
    pub key_id: KeyId,
    pub secret: NewSecret,
    /// How long it lives, and what happens then.
    pub lifetime: Lifetime,
    pub actor: UserId,
}

impl Handler<CreateCredential> for TeamActor {
    type Result = StagedAnswer;
    fn handle(&mut self, msg: CreateCredential, ctx: &mut Context<Self>) -> StagedAnswer {
        // Staged creates stay staged: this one joins them.
        self.noted();
        match self.new_credential(msg) {
            Ok(create) => self.stage_create(create, ctx),
            Err(e) => StagedAnswer::refused(Err(e)),
        }
    }
}

impl TeamActor {
    /// A create checked against the team's access, application and the
    /// resource, with what its transaction is to write.
    fn new_credential(&mut self, msg: CreateCredential) -> Result<StagedCreate, TeamCommandError> {
        let access = match self.store.access(msg.access)? {
            Some(a) if a.team == self.team_id => a,
            _ => return Err(CredentialError::Missing.into()),
        };
        let ready = access.approval == Approval::Approved
            && matches!(
                access.provisioning,
                Provisioning::Pending | Provisioning::Provisioned
            );
        if !ready {
            return Err(CredentialError::NoAccess.into());
        }
        match self.store.application(access.application)? {
            Some(app) if !app.is_archived() => {}
            Some(_) => return Err(ApplicationError::Archived.into()),
            None => return Err(ApplicationError::Missing.into()),
        }
        let resource = self.store.resource(access.product, access.resource)?;
        if !resource.is_some_and(|r| r.spec.credential_types.contains(&msg.kind)) {
            return Err(CredentialError::TypeNotAccepted.into());
        }
        let now = self.clock.now();
        let mut c = Credential {
            id: msg.id,
            team: self.team_id,
            provider: access.provider,
            application: access.application,
            access: access.id,
            product: access.product,
            resource: access.resource,
            dataplane: access.dataplane.clone(),
            kind: msg.kind,
            name: msg.name.clone(),
            key_id: msg.key_id,
            desired: Desired::Active,
            observed: Observed::Absent,
            secret_version: 1,
            plane_version: 0,
            secret_hash: msg.secret.hash.clone(),
            window_until: msg.secret.sealed.as_ref().map(|(_, until)| *until),
            grace_until: None,
            previous_hash: None,
            created_at: now,
            renewed_at: None,
            reason: None,
            task: None,
            task_seq: 0,
            failed: false,
            last_error: None,
            agent_secret: msg.secret.for_agent.clone(),
            plane_grace: false,
            own_client_id: None,
            expires_at: None,
            at_expiry: AtExpiry::Suspend,
            expired: false,
            reminded_days: None,
            next_reminder: None,
            created_by: Some(msg.actor),
        };
        c.start_lifetime(msg.lifetime, now);
        c.plan_reminder(&self.reminder_days, now);
        // The batch's grants: creates on one access read its grant once.
        let mut grants = std::mem::take(&mut self.staged.grants);
        let task = self.next_task_with(&mut c, &mut grants);
        self.staged.grants = grants;
        let task = task?.task;
        let secret = msg
            .secret
            .sealed
            .as_ref()
            .map(|(sealed, until)| SealedSecret {
                credential: c.id,
                version: 1,
                until: *until,
                sealed: sealed.clone(),
            });
        let audit = self.audit_about(
            msg.actor,
            "credential.created",
            format!(
                "created {} credential {} ({}){}",
                c.kind.label(),
                c.name,
                c.key_id,
                c.expires_at
                    .map(|at| format!("; it expires {}", at.display()))
                    .unwrap_or_default()
            ),
            Some(Subject::Credential(c.id)),
        );
        Ok(StagedCreate {
            credential: c,
            secret,
            task,
            audit,
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct ChangeCredential {
    pub id: CredentialId,
    pub action: CredentialAction,
    /// What the credential's data plane can do, which the action must respect.
    pub abilities: Abilities,
    /// For a renewal: the new secret.
    pub secret: Option<NewSecret>,
    pub actor: UserId,
    /// The provider team acting, with its reason; `None` when the consumer acts.
    pub provider: Option<(TeamId, String)>,
}

impl Handler<ChangeCredential> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: ChangeCredential, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
            let mut c = me.own_credential(msg.id)?;
            if let Some((provider, _)) = &msg.provider
                && *provider != c.provider
            {
                return Err(CredentialError::Missing.into());
            }
            let now = me.clock.now();
            c.act(msg.action, msg.abilities, now)?;
            c.plan_reminder(&me.reminder_days, now);
            let mut secret = None;
            if let (CredentialAction::Renew { .. }, Some(s)) = (msg.action, &msg.secret) {
                c.new_secret(s.hash.clone());
                c.agent_secret = s.for_agent.clone();
                c.window_until = s.sealed.as_ref().map(|(_, until)| *until);
                secret = s.sealed.as_ref().map(|(sealed, until)| SealedSecret {
                    credential: c.id,
                    version: c.secret_version,
                    until: *until,
                    sealed: sealed.clone(),
                });
            }
            if msg.action == CredentialAction::Delete {
                c.window_until = None;
            }
            let by = match &msg.provider {
                Some((_, reason)) => {
                    c.reason = Some(reason.clone());
                    format!(" by the provider: {reason}")
                }
                None => String::new(),
            };
            let (mut tasks, mut done) = (Vec::new(), Vec::new());
            me.next_task(&mut c)?.add_to(&mut tasks, &mut done);
            let notifications = match &msg.provider {
                Some((_, reason)) => me.notify(
                    me.team_id,
                    format!(
                        "The provider {} credential {}: {reason}",
                        msg.action.verb(),
                        c.name
                    ),
                    format!("/teams/{}/credentials/{}", me.team_id, c.id),
                )?,
                None => Vec::new(),
            };
            let audit = me.audit_about(
                msg.actor,
                &format!("credential.{}", msg.action.event()),
                format!(
                    "{} credential {} ({}){by}{}{}",
                    msg.action.verb(),
                    c.name,
                    c.key_id,
                    match (msg.action, c.grace_until) {
                        (CredentialAction::Renew { .. }, Some(until)) =>
                            format!("; the previous secret works until {}", until.display()),
                        _ => String::new(),
                    },
                    match (msg.action, c.expires_at) {
                        (CredentialAction::Renew { .. }, Some(at)) =>
                            format!("; it expires {}", at.display()),
                        _ => String::new(),
                    }
                ),
                Some(Subject::Credential(c.id)),
            );
            let changes = Changes {
                credentials: vec![&c],
                secrets: secret.iter().collect(),
                tasks: tasks.iter().collect(),
                done_tasks: done,
                notifications,
                ..Changes::default()
            };
            me.store.commit(&changes, &audit)?;
            me.gateway.set_desired(&c.key_id, Some(c.wanted()));
            if msg.action == CredentialAction::EndGrace {
                me.gateway.end_grace(&c.key_id);
            }
            Ok(())
        })
    }
}
