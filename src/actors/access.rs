//! A consumer team's actor writes its applications and access requests, the
//! provider's decisions on them, and the provisioning results the engine
//! reports. Each change and the tasks it queues are one transaction.

use std::collections::BTreeMap;

use actix::{Context, Handler, Message};

use super::applications::name_taken;
use super::team::{CommandResult, Reply, TeamActor, TeamCommandError};
use crate::domain::abilities::Abilities;
use crate::domain::access::{
    AccessError, AccessEvent, AccessRequest, Approval, Provisioning, TaskOp,
};
use crate::domain::application::{Application, ApplicationError};
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialAction, Desired};
use crate::domain::ids::{
    AccessId, ApplicationId, ProductId, ResourceId, SubscriptionId, TaskId, TeamId, UserId,
};
use crate::domain::outbox::{AccessGrant, Task, TaskState};
use crate::domain::resource::Approval as Mode;
use crate::domain::subscription::SubscriptionState;
use crate::store::Changes;

pub use super::access_results::{
    ProviderStep, ProvisionResult, ProvisionResults, ProvisioningStep,
};
pub use super::applications::{ArchiveApplication, DeleteApplication, SaveApplication};

impl TeamActor {
    pub(super) fn own_application(
        &self,
        id: ApplicationId,
    ) -> Result<Application, TeamCommandError> {
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
            for c in self.store.credentials_of_app(a.application)?.iter() {
                if c.access != a.id || c.desired == Desired::Deleted {
                    continue;
                }
                let mut c = c.clone();
                // Deleting needs no ability of the data plane.
                c.act(CredentialAction::Delete, Abilities::default(), now)?;
                c.reason = Some(reason.to_owned());
                self.next_task(&mut c)?.add_to(&mut tasks, &mut done);
                credentials.push(c);
            }
        }
        Ok(Revoked {
            reason: reason.to_owned(),
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
    pub reason: String,
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
            gateway.set_desired(&c.key_id, Some(c.wanted()));
        }
    }

    /// A record of each access revoked and each credential deleted with
    /// it, after the record of the change that caused them: each tells its
    /// own event (`access.revoked`, `credential.deleted`).
    pub fn audits(&self, me: &TeamActor, first: AuditRecord) -> Vec<AuditRecord> {
        let reason = &self.reason;
        let mut out = vec![first];
        let actor = out[0].actor;
        let record = |action: &str, detail: String, subject: Subject| match actor {
            Some(actor) => me.audit_about(actor, action, detail, Some(subject)),
            None => me.system_audit(action, detail, Some(subject)),
        };
        out.extend(self.accesses.iter().map(|a| {
            record(
                "access.revoked",
                format!("revoked access “{}”: {reason}", a.name),
                Subject::Access(a.id),
            )
        }));
        out.extend(self.credentials.iter().map(|c| {
            record(
                "credential.deleted",
                format!(
                    "deleted credential {} ({}) with its access: {reason}",
                    c.name, c.key_id
                ),
                Subject::Credential(c.id),
            )
        }));
        out
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
    type Result = Reply;
    fn handle(&mut self, msg: RequestAccess, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
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
        })
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
    type Result = Reply;
    fn handle(&mut self, msg: DecideAccess, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
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
        })
    }
}
