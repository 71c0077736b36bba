//! A consumer team's actor writes its applications and access requests, the
//! provider's decisions on them, and the provisioning results the engine
//! reports. Each change and the tasks it queues are one transaction.

use std::collections::BTreeMap;

use actix::{Context, Handler, Message};

use super::team::{CommandResult, TeamActor, TeamCommandError};
use crate::dataplane::{DataPlaneError, Outcome};
use crate::domain::access::{
    AccessError, AccessEvent, AccessRequest, Approval, Provisioning, TaskOp,
};
use crate::domain::application::{Application, ApplicationDetails, ApplicationError};
use crate::domain::audit::Subject;
use crate::domain::credential::{Credential, CredentialAction, Desired};
use crate::domain::ids::{
    AccessId, ApplicationId, ProductId, ResourceId, SubscriptionId, TaskId, TeamId, UserId,
};
use crate::domain::outbox::{AccessGrant, Task, TaskState};
use crate::domain::resource::Approval as Mode;
use crate::domain::subscription::SubscriptionState;
use crate::store::{AppWrite, Changes, Conflict, StoreError};

impl TeamActor {
    fn own_application(&self, id: ApplicationId) -> Result<Application, TeamCommandError> {
        match self.store.application(id)? {
            Some(a) if a.team == self.team_id => Ok(a),
            _ => Err(ApplicationError::Missing.into()),
        }
    }

    /// A new task for `access` (which the caller has just queued), replacing
    /// any older one; both go into `changes` by the caller.
    pub(super) fn task_for(
        &self,
        access: &mut AccessRequest,
        op: TaskOp,
    ) -> Result<(Task, Option<TaskId>), TeamCommandError> {
        let now = self.clock.now();
        let task = Task {
            id: TaskId::generate(now),
            key: access.task_key(op),
            op,
            grant: self.grant_of(access)?,
            credential: None,
            dataplane: access.dataplane.clone(),
            provider: access.provider,
            state: TaskState::Due,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
        };
        let replaced = access.task.replace(task.id);
        Ok((task, replaced))
    }

    /// What a data plane needs to know of an access.
    pub(super) fn grant_of(&self, access: &AccessRequest) -> Result<AccessGrant, TeamCommandError> {
        let app = self.store.application(access.application)?;
        let team = self.store.team(access.team)?;
        let resource = self.store.resource(access.product, access.resource)?;
        let plan = self.store.plan(access.product, access.plan)?;
        Ok(AccessGrant {
            access: access.id,
            team: access.team,
            team_name: team.map(|t| t.name.to_string()).unwrap_or_default(),
            application: access.application,
            application_name: app.map(|a| a.details.name).unwrap_or_default(),
            resource: access.resource,
            resource_name: resource
                .as_ref()
                .map(|r| r.spec.name.clone())
                .unwrap_or_default(),
            route: resource
                .map(|r| r.spec.route.to_string())
                .unwrap_or_default(),
            plan_name: plan
                .as_ref()
                .map(|p| p.spec.name.clone())
                .unwrap_or_default(),
            quota: plan.map(|p| p.spec.quota).unwrap_or_default(),
            subscription: Some(access.subscription),
            product: Some(access.product),
            product_name: self
                .store
                .product(access.product)?
                .map(|p| p.details.name)
                .unwrap_or_default(),
        })
    }

    /// Revokes every live access in `accesses` with `reason`, queueing the
    /// removal of what may be on the data plane.
    pub(super) fn revoke_all(
        &self,
        accesses: Vec<AccessRequest>,
        reason: &str,
    ) -> Result<Revoked, TeamCommandError> {
        let now = self.clock.now();
        let (mut changed, mut tasks, mut done) = (Vec::new(), Vec::new(), Vec::new());
        for mut a in accesses.into_iter().filter(|a| a.approval.is_live()) {
            let old = a.task;
            match a.apply(&AccessEvent::Revoke(reason.to_owned()), now)? {
                Some(op) => {
                    let (task, replaced) = self.task_for(&mut a, op)?;
                    done.extend(replaced);
                    tasks.push(task);
                }
                None => done.extend(old),
            }
            changed.push(a);
        }
        // Credentials live under their access: they go with it.
        let mut credentials = Vec::new();
        for a in &changed {
            for mut c in self.store.credentials_of_app(a.application)? {
                if c.access != a.id || c.desired == Desired::Deleted {
                    continue;
                }
                c.act(CredentialAction::Delete, now)?;
                c.reason = Some(reason.to_owned());
                tasks.extend(self.next_task(&mut c)?);
                credentials.push(c);
            }
        }
        Ok(Revoked {
            accesses: changed,
            credentials,
            tasks,
            done_tasks: done,
        })
    }
}

/// What revoking a set of accesses changes: the accesses, the removal tasks
/// it queues, and the older tasks those replace.
#[derive(Default)]
pub(super) struct Revoked {
    pub accesses: Vec<AccessRequest>,
    /// The credentials of those accesses, now being deleted.
    pub credentials: Vec<Credential>,
    pub tasks: Vec<Task>,
    pub done_tasks: Vec<TaskId>,
}

impl Revoked {
    /// Tells the gateway, once committed: the deleted credentials stop at once.
    pub fn announce(&self, gateway: &crate::gateway::Gateway) {
        for c in &self.credentials {
            gateway.set_desired(&c.key_id, Some(c.desired));
        }
    }

    /// The parts of a commit that carry these changes.
    pub fn changes(&self) -> Changes<'_> {
        Changes {
            accesses: self.accesses.iter().collect(),
            credentials: self.credentials.iter().collect(),
            tasks: self.tasks.iter().collect(),
            done_tasks: self.done_tasks.clone(),
            ..Changes::default()
        }
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SaveApplication {
    pub id: ApplicationId,
    pub is_new: bool,
    pub details: ApplicationDetails,
    pub actor: UserId,
}

impl Handler<SaveApplication> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: SaveApplication, _: &mut Context<Self>) -> CommandResult {
        self.commit(|me| {
            let (app, old_name_key) = if msg.is_new {
                let app = Application {
                    id: msg.id,
                    team: me.team_id,
                    details: msg.details,
                    created_at: me.clock.now(),
                    archived_at: None,
                };
                (app, None)
            } else {
                let mut app = me.own_application(msg.id)?;
                if app.is_archived() {
                    return Err(ApplicationError::Archived.into());
                }
                let old = app.details.name_key();
                app.details = msg.details;
                let renamed = (old != app.details.name_key()).then_some(old);
                (app, renamed)
            };
            let verb = if msg.is_new { "created" } else { "edited" };
            let audit = me.audit_about(
                msg.actor,
                &format!("application.{verb}"),
                format!("{verb} application {}", app.details.name),
                Some(Subject::Application(app.id)),
            );
            let changes = Changes {
                application: Some(AppWrite {
                    app: &app,
                    is_new: msg.is_new,
                    old_name_key,
                }),
                ..Changes::default()
            };
            me.store.commit(&changes, &audit).map_err(name_taken)
        })
    }
}

fn name_taken(e: StoreError) -> TeamCommandError {
    match e {
        StoreError::Conflict(Conflict::ApplicationNameTaken) => ApplicationError::NameTaken.into(),
        StoreError::Conflict(Conflict::AlreadyRequested) => AccessError::AlreadyRequested.into(),
        other => other.into(),
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct ArchiveApplication {
    pub id: ApplicationId,
    pub actor: UserId,
}

impl Handler<ArchiveApplication> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: ArchiveApplication, _: &mut Context<Self>) -> CommandResult {
        let queued = self.commit(|me| {
            let mut app = me.own_application(msg.id)?;
            if app.is_archived() {
                return Err(ApplicationError::Archived.into());
            }
            app.archived_at = Some(me.clock.now());
            let revoked = me.revoke_all(
                me.store.accesses_of_app(app.id)?,
                "The application was archived.",
            )?;
            let audit = me.audit_about(
                msg.actor,
                "application.archived",
                format!(
                    "archived application {}; {} access revoked",
                    app.details.name,
                    revoked.accesses.len()
                ),
                Some(Subject::Application(app.id)),
            );
            let changes = Changes {
                application: Some(AppWrite {
                    app: &app,
                    is_new: false,
                    old_name_key: None,
                }),
                ..revoked.changes()
            };
            me.store.commit(&changes, &audit)?;
            revoked.announce(&me.gateway);
            Ok(())
        });
        self.kicker.kick();
        queued
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct DeleteApplication {
    pub id: ApplicationId,
    pub actor: UserId,
}

impl Handler<DeleteApplication> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: DeleteApplication, _: &mut Context<Self>) -> CommandResult {
        self.commit(|me| {
            let app = me.own_application(msg.id)?;
            if !app.is_archived() {
                return Err(ApplicationError::NotArchived.into());
            }
            let accesses = me.store.accesses_of_app(app.id)?;
            if accesses
                .iter()
                .any(|a| a.provisioning == Provisioning::Pending)
            {
                return Err(ApplicationError::StillDeprovisioning.into());
            }
            // The record of the deletion stays with the team, not the deleted application.
            let audit = me.audit_about(
                msg.actor,
                "application.deleted",
                format!("deleted application {}", app.details.name),
                None,
            );
            me.store.delete_application(&app, &accesses, &audit)?;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct RequestAccess {
    pub id: AccessId,
    pub application: ApplicationId,
    pub product: ProductId,
    pub resource: ResourceId,
    pub subscription: SubscriptionId,
    pub name: String,
    /// Checked against the resource's fields by the caller.
    pub values: BTreeMap<String, String>,
    pub actor: UserId,
}

impl Handler<RequestAccess> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: RequestAccess, _: &mut Context<Self>) -> CommandResult {
        let r = self.commit(|me| {
            let app = me.own_application(msg.application)?;
            if app.is_archived() {
                return Err(ApplicationError::Archived.into());
            }
            let sub = match me.store.subscription(msg.subscription)? {
                Some(s) if s.team == me.team_id => s,
                Some(_) => return Err(AccessError::TeamsDiffer.into()),
                None => return Err(AccessError::Missing.into()),
            };
            let plan = me.store.plan(sub.product, sub.plan)?;
            let resource = me.store.resource(msg.product, msg.resource)?;
            let (Some(plan), Some(resource)) = (plan, resource) else {
                return Err(AccessError::NotInSubscription.into());
            };
            if sub.state != SubscriptionState::Active
                || sub.product != msg.product
                || !plan.spec.resources.contains(&resource.id)
            {
                return Err(AccessError::NotInSubscription.into());
            }
            let now = me.clock.now();
            let mut access = AccessRequest {
                id: msg.id,
                team: me.team_id,
                provider: sub.provider,
                application: app.id,
                product: sub.product,
                resource: resource.id,
                subscription: sub.id,
                plan: plan.id,
                dataplane: resource.spec.dataplane.clone(),
                name: msg.name.clone(),
                values: msg.values.clone(),
                approval: Approval::Pending,
                provisioning: Provisioning::None,
                requested_by: msg.actor,
                created_at: now,
                decided_at: None,
                provisioned_at: None,
                revoked_at: None,
                reason: None,
                task: None,
                last_error: None,
                version: 0,
            };
            let mut tasks = Vec::new();
            let detail = if resource.spec.access_approval == Mode::Automatic {
                if let Some(op) = access.apply(&AccessEvent::Approve, now)? {
                    tasks.push(me.task_for(&mut access, op)?.0);
                }
                format!(
                    "requested access for {} to {}; approved at once (automatic approval)",
                    app.details.name, resource.spec.name
                )
            } else {
                format!(
                    "requested access for {} to {}; the provider decides",
                    app.details.name, resource.spec.name
                )
            };
            let audit = me.audit_about(
                msg.actor,
                "access.requested",
                detail,
                Some(Subject::Access(access.id)),
            );
            let notifications = if access.approval == Approval::Pending {
                let team = me
                    .store
                    .team(me.team_id)?
                    .map(|t| t.name.to_string())
                    .unwrap_or_default();
                me.notify(
                    access.provider,
                    format!(
                        "{team} requests access to {} for {}: it awaits your approval.",
                        resource.spec.name, app.details.name
                    ),
                    format!("/provider/{}/approvals", access.provider),
                )?
            } else {
                Vec::new()
            };
            let changes = Changes {
                new_accesses: vec![&access],
                tasks: tasks.iter().collect(),
                notifications,
                ..Changes::default()
            };
            me.store.commit(&changes, &audit).map_err(name_taken)
        });
        self.kicker.kick();
        r
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct DecideAccess {
    pub id: AccessId,
    pub event: AccessEvent,
    pub actor: UserId,
    /// The provider team deciding: the access must be to one of its resources.
    pub provider: TeamId,
}

impl Handler<DecideAccess> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: DecideAccess, _: &mut Context<Self>) -> CommandResult {
        let r = self.commit(|me| {
            let mut access = match me.store.access(msg.id)? {
                Some(a) if a.team == me.team_id && a.provider == msg.provider => a,
                _ => return Err(AccessError::Missing.into()),
            };
            let old = access.task;
            let mut tasks = Vec::new();
            let mut done_tasks = Vec::new();
            match access.apply(&msg.event, me.clock.now())? {
                Some(op) => {
                    let (task, replaced) = me.task_for(&mut access, op)?;
                    done_tasks.extend(replaced);
                    tasks.push(task);
                }
                None => done_tasks.extend(old),
            }
            let (action, detail) = match &msg.event {
                AccessEvent::Approve => (
                    "access.approved",
                    format!("approved access “{}”", access.name),
                ),
                AccessEvent::Reject(r) => (
                    "access.rejected",
                    format!("rejected access “{}”: {}", access.name, r.as_str()),
                ),
                AccessEvent::Revoke(r) => (
                    "access.revoked",
                    format!("revoked access “{}”: {r}", access.name),
                ),
            };
            let audit = me.audit_about(msg.actor, action, detail, Some(Subject::Access(access.id)));
            let text = match &msg.event {
                AccessEvent::Approve => format!("Access “{}” is approved.", access.name),
                AccessEvent::Reject(r) => {
                    format!("Access “{}” was rejected: {}", access.name, r.as_str())
                }
                AccessEvent::Revoke(r) => format!("Access “{}” was revoked: {r}", access.name),
            };
            let link = format!("/teams/{}/applications/{}", me.team_id, access.application);
            let changes = Changes {
                accesses: vec![&access],
                tasks: tasks.iter().collect(),
                done_tasks,
                notifications: me.notify(me.team_id, text, link)?,
                ..Changes::default()
            };
            me.store.commit(&changes, &audit)?;
            Ok(())
        });
        self.kicker.kick();
        r
    }
}

/// What the engine got from a data plane for one task.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), StoreError>")]
pub struct ProvisionResult {
    pub task: TaskId,
    pub result: Result<Outcome, DataPlaneError>,
    /// A random number in [0, 1) for the retry's jitter.
    pub jitter: f64,
}

impl Handler<ProvisionResult> for TeamActor {
    type Result = Result<(), StoreError>;
    fn handle(&mut self, msg: ProvisionResult, _: &mut Context<Self>) -> Self::Result {
        let r = self.commit(|me| {
            let Some(mut task) = me.store.task(msg.task)? else {
                return Ok(()); // replaced or finished meanwhile
            };
            if task.credential.is_some() {
                return me.credential_result(task, msg.result.clone(), msg.jitter);
            }
            let access = me.store.access(task.grant.access)?;
            let Some(mut access) = access.filter(|a| a.team == me.team_id) else {
                let audit = me.system_audit(
                    "task.dropped",
                    format!("dropped task {} of a removed access", task.key),
                    None,
                );
                return me
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
            let now = me.clock.now();
            let plane = &task.dataplane;
            let (changes_task, done, audit) = match msg.result {
                Ok(Outcome::Done | Outcome::DoneWithSecret { .. }) => {
                    access.provisioned(task.id, task.op, now);
                    let what = match task.op {
                        TaskOp::Grant => "provisioned",
                        TaskOp::Revoke => "removed",
                    };
                    let audit = me.system_audit(
                        "access.provisioned",
                        format!("{what} access “{}” on {plane}", access.name),
                        subject,
                    );
                    (None, Some(task.id), audit)
                }
                Ok(Outcome::HandedOver) => {
                    task.state = TaskState::Waiting;
                    task.attempts += 1;
                    let audit = me.system_audit(
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
                    task.attempts += 1;
                    let permanent = matches!(e, DataPlaneError::Permanent(_));
                    let gave_up = permanent || me.backoff.gives_up(task.attempts);
                    let error = e.to_string();
                    access.failed(task.id, &error, gave_up);
                    task.last_error = Some(error.clone());
                    let detail = if gave_up {
                        task.state = TaskState::Failed;
                        format!(
                            "gave up on “{}” after {} attempt(s) on {plane}: {error}",
                            access.name, task.attempts
                        )
                    } else {
                        let wait = me
                            .backoff
                            .delay(task.attempts, msg.jitter)
                            .max(e.retry_after());
                        task.next_at = now.plus(wait);
                        format!(
                            "attempt {} on {plane} failed: {error}; next attempt at {}",
                            task.attempts,
                            task.next_at.display()
                        )
                    };
                    (
                        Some(task),
                        None,
                        me.system_audit("access.provisioning_failed", detail, subject),
                    )
                }
            };
            let notifications = if access.provisioning == Provisioning::Failed {
                me.notify(
                    me.team_id,
                    format!(
                        "Provisioning of access “{}” failed: {}",
                        access.name,
                        access.last_error.clone().unwrap_or_default()
                    ),
                    format!("/teams/{}/applications/{}", me.team_id, access.application),
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
            me.store.commit(&changes, &audit).map_err(Into::into)
        });
        r.map_err(|e| match e {
            TeamCommandError::Store(s) => s,
            other => StoreError::Corrupt(other.to_string()),
        })
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
    type Result = CommandResult;
    fn handle(&mut self, msg: ProvisioningStep, _: &mut Context<Self>) -> CommandResult {
        let r = self.commit(|me| {
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
        });
        self.kicker.kick();
        r
    }
}
