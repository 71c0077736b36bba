//! One transaction for a team's change that touches several aggregates: a
//! subscription ending revokes its accesses and queues their removal; an
//! application archived does the same; a decision on access queues its
//! provisioning. The state change, its tasks (the outbox) and the audit
//! record are written together or not at all.

use sled::transaction::TransactionalTree;

use super::codec::encode;
use super::{Conflict, Store, StoreError, TxResult, abort, key, tx_decode};
use crate::clock::Timestamp;
use crate::domain::access::AccessRequest;
use crate::domain::application::Application;
use crate::domain::audit::AuditRecord;
use crate::domain::credential::Credential;
use crate::domain::ids::{CredentialId, TaskId};
use crate::domain::notification::Notification;
use crate::domain::outbox::{Task, TaskState};
use crate::domain::subscription::Subscription;

pub struct AppWrite<'a> {
    pub app: &'a Application,
    pub is_new: bool,
    /// The name key before an edit, when the name changed.
    pub old_name_key: Option<String>,
}

/// A clear secret, sealed, kept until its view window closes.
pub struct SealedSecret {
    pub credential: CredentialId,
    pub version: u32,
    pub until: Timestamp,
    pub sealed: Vec<u8>,
}

/// What one command changes. Empty parts are skipped.
#[derive(Default)]
pub struct Changes<'a> {
    /// Notifications to the people concerned.
    pub notifications: Vec<Notification>,
    pub credentials: Vec<&'a Credential>,
    /// Credentials the data plane has removed: their records go (the audit stays).
    pub removed_credentials: Vec<&'a Credential>,
    pub secrets: Vec<&'a SealedSecret>,
    pub subscription: Option<&'a Subscription>,
    pub application: Option<AppWrite<'a>>,
    /// New requests: one live request per application × resource × subscription.
    pub new_accesses: Vec<&'a AccessRequest>,
    pub accesses: Vec<&'a AccessRequest>,
    pub tasks: Vec<&'a Task>,
    pub done_tasks: Vec<TaskId>,
}

pub(super) fn live_access_key(a: &AccessRequest) -> [u8; 48] {
    key::<48>(&[
        &a.application.to_bytes(),
        &a.resource.to_bytes(),
        &a.subscription.to_bytes(),
    ])
}

pub(super) fn due_key(task: &Task) -> [u8; 24] {
    let at = task.next_at.as_millis().max(0) as u64;
    key::<24>(&[&at.to_be_bytes(), &task.id.to_bytes()])
}

fn app_name_key(app: &Application, name_key: &str) -> Vec<u8> {
    let mut k = app.team.to_bytes().to_vec();
    k.extend_from_slice(name_key.as_bytes());
    k
}

/// Views of the trees a [`Changes`] writes, in the order [`Store::commit`] lists them.
struct Views<'t>(&'t [TransactionalTree]);

impl Views<'_> {
    fn put_access(&self, a: &AccessRequest, is_new: bool) -> TxResult<()> {
        let [access, by_app, by_sub, by_res, by_prov, live] = &self.0[5..11] else {
            unreachable!("commit lists the access trees")
        };
        let id = a.id.to_bytes();
        let live_key = live_access_key(a);
        if is_new {
            if live.get(&live_key[..])?.is_some() {
                return abort(Conflict::AlreadyRequested);
            }
            live.insert(&live_key[..], &id[..])?;
        } else if !a.approval.is_live() && live.get(&live_key[..])?.as_deref() == Some(&id[..]) {
            live.remove(&live_key[..])?;
        }
        access.insert(&id[..], super::tx_encode(a)?)?;
        for (index, k) in [by_app, by_sub, by_res, by_prov]
            .into_iter()
            .zip(access_index_keys(a))
        {
            index.insert(&k[..], &[])?;
        }
        Ok(())
    }

    /// Removes a task's index entries as last written.
    fn unindex_task(&self, id: TaskId) -> TxResult<Option<Task>> {
        let [outbox, due, waiting, failed] = &self.0[11..15] else {
            unreachable!("commit lists the outbox trees")
        };
        let Some(old) = outbox.get(&id.to_bytes()[..])? else {
            return Ok(None);
        };
        let old: Task = tx_decode(&old)?;
        let pk = key::<32>(&[&old.provider.to_bytes(), &old.id.to_bytes()]);
        match old.state {
            TaskState::Due => {
                due.remove(&due_key(&old)[..])?;
            }
            TaskState::Waiting => {
                waiting.remove(&pk[..])?;
            }
            TaskState::Failed => {
                failed.remove(&pk[..])?;
            }
        }
        Ok(Some(old))
    }

    fn put_task(&self, t: &Task) -> TxResult<()> {
        self.unindex_task(t.id)?;
        let [outbox, due, waiting, failed] = &self.0[11..15] else {
            unreachable!("commit lists the outbox trees")
        };
        outbox.insert(&t.id.to_bytes()[..], super::tx_encode(t)?)?;
        let pk = key::<32>(&[&t.provider.to_bytes(), &t.id.to_bytes()]);
        match t.state {
            TaskState::Due => due.insert(&due_key(t)[..], &[])?,
            TaskState::Waiting => waiting.insert(&pk[..], &[])?,
            TaskState::Failed => failed.insert(&pk[..], &[])?,
        };
        Ok(())
    }

    fn remove_task(&self, id: TaskId) -> TxResult<()> {
        if self.unindex_task(id)?.is_some() {
            self.0[11].remove(&id.to_bytes()[..])?;
        }
        Ok(())
    }

    fn put_application(&self, w: &AppWrite<'_>) -> TxResult<()> {
        let [apps, by_team, by_name] = &self.0[2..5] else {
            unreachable!("commit lists the application trees")
        };
        let id = w.app.id.to_bytes();
        let name = app_name_key(w.app, &w.app.details.name_key());
        let existed = apps.insert(&id[..], super::tx_encode(w.app)?)?.is_some();
        if existed == w.is_new {
            return abort(Conflict::Missing);
        }
        if w.is_new || w.old_name_key.is_some() {
            if by_name.get(&name[..])?.is_some() {
                return abort(Conflict::ApplicationNameTaken);
            }
            if let Some(old) = &w.old_name_key {
                by_name.remove(&app_name_key(w.app, old)[..])?;
            }
            by_name.insert(&name[..], &id[..])?;
        }
        by_team.insert(&key::<32>(&[&w.app.team.to_bytes(), &id])[..], &[])?;
        Ok(())
    }
}

/// An access request's keys in `access_by_app`, `_by_subscription`,
/// `_by_resource` and `_by_provider`.
fn access_index_keys(a: &AccessRequest) -> [[u8; 32]; 4] {
    let id = a.id.to_bytes();
    [
        key::<32>(&[&a.application.to_bytes(), &id]),
        key::<32>(&[&a.subscription.to_bytes(), &id]),
        key::<32>(&[&a.resource.to_bytes(), &id]),
        key::<32>(&[&a.provider.to_bytes(), &id]),
    ]
}

/// A credential's keys in `credential_by_app`, `_by_resource` and `_by_provider`.
fn credential_index_keys(c: &Credential) -> [[u8; 32]; 3] {
    let id = c.id.to_bytes();
    [
        key::<32>(&[&c.application.to_bytes(), &id]),
        key::<32>(&[&c.resource.to_bytes(), &id]),
        key::<32>(&[&c.provider.to_bytes(), &id]),
    ]
}

pub(super) fn secret_key(credential: CredentialId, version: u32) -> [u8; 20] {
    key::<20>(&[&credential.to_bytes(), &version.to_be_bytes()])
}

pub(super) fn purge_key(until: Timestamp, credential: CredentialId, version: u32) -> [u8; 28] {
    let at = until.as_millis().max(0) as u64;
    key::<28>(&[
        &at.to_be_bytes(),
        &credential.to_bytes(),
        &version.to_be_bytes(),
    ])
}

impl Views<'_> {
    fn put_credential(&self, c: &Credential) -> TxResult<()> {
        let [cred, by_app, by_res, by_prov, by_key] = &self.0[15..20] else {
            unreachable!("commit lists the credential trees")
        };
        let id = c.id.to_bytes();
        cred.insert(&id[..], super::tx_encode(c)?)?;
        for (index, k) in [by_app, by_res, by_prov]
            .into_iter()
            .zip(credential_index_keys(c))
        {
            index.insert(&k[..], &[])?;
        }
        by_key.insert(c.key_id.as_str().as_bytes(), &id[..])?;
        Ok(())
    }

    fn remove_credential(&self, c: &Credential) -> TxResult<()> {
        let [cred, by_app, by_res, by_prov, by_key] = &self.0[15..20] else {
            unreachable!("commit lists the credential trees")
        };
        cred.remove(&c.id.to_bytes()[..])?;
        for (index, k) in [by_app, by_res, by_prov]
            .into_iter()
            .zip(credential_index_keys(c))
        {
            index.remove(&k[..])?;
        }
        by_key.remove(c.key_id.as_str().as_bytes())?;
        Ok(())
    }

    fn put_secret(&self, s: &SealedSecret) -> TxResult<()> {
        self.0[20].insert(&secret_key(s.credential, s.version)[..], s.sealed.clone())?;
        self.0[21].insert(&purge_key(s.until, s.credential, s.version)[..], &[])?;
        Ok(())
    }
}

impl Store {
    /// Writes `changes` and `audit` in one transaction.
    pub fn commit(&self, changes: &Changes<'_>, audit: &AuditRecord) -> Result<(), StoreError> {
        let sub_value = changes.subscription.map(encode).transpose()?;
        let trees = [
            &self.subscription,
            &self.subscription_live,
            &self.application,
            &self.application_by_team,
            &self.application_by_name,
            &self.access,
            &self.access_by_app,
            &self.access_by_subscription,
            &self.access_by_resource,
            &self.access_by_provider,
            &self.access_live,
            &self.outbox,
            &self.outbox_due,
            &self.outbox_waiting,
            &self.outbox_failed,
            &self.credential,
            &self.credential_by_app,
            &self.credential_by_resource,
            &self.credential_by_provider,
            &self.credential_by_key,
            &self.credential_secret,
            &self.secret_purge,
            &self.notification,
            &self.notification_unread,
        ];
        let written = self.audited(&trees, audit, |t| {
            let v = Views(t);
            for c in &changes.credentials {
                v.put_credential(c)?;
            }
            for c in &changes.removed_credentials {
                v.remove_credential(c)?;
            }
            for s in &changes.secrets {
                v.put_secret(s)?;
            }
            for n in &changes.notifications {
                let k = key::<32>(&[&n.user.to_bytes(), &n.id.to_bytes()]);
                t[22].insert(&k[..], super::tx_encode(n)?)?;
                t[23].insert(&k[..], &[])?;
            }
            if let (Some(sub), Some(value)) = (changes.subscription, &sub_value) {
                let id = sub.id.to_bytes();
                if t[0].insert(&id[..], value.clone())?.is_none() {
                    return abort(Conflict::Missing);
                }
                let live = key::<32>(&[&sub.team.to_bytes(), &sub.plan.to_bytes()]);
                if !sub.state.is_live() && t[1].get(&live[..])?.as_deref() == Some(&id[..]) {
                    t[1].remove(&live[..])?;
                }
            }
            if let Some(w) = &changes.application {
                v.put_application(w)?;
            }
            for a in &changes.new_accesses {
                v.put_access(a, true)?;
            }
            for a in &changes.accesses {
                v.put_access(a, false)?;
            }
            for id in &changes.done_tasks {
                v.remove_task(*id)?;
            }
            for task in &changes.tasks {
                v.put_task(task)?;
            }
            Ok(())
        });
        if written.is_ok() {
            self.unread
                .changed(changes.notifications.iter().map(|n| n.user));
            self.app_credentials.changed(
                (changes.credentials.iter())
                    .chain(&changes.removed_credentials)
                    .map(|c| c.application),
            );
        }
        written
    }

    /// Deletes an archived application with its access requests.
    pub fn delete_application(
        &self,
        app: &Application,
        accesses: &[AccessRequest],
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let trees = [
            &self.application,
            &self.application_by_team,
            &self.application_by_name,
            &self.access,
            &self.access_by_app,
            &self.access_by_subscription,
            &self.access_by_resource,
            &self.access_by_provider,
            &self.access_live,
        ];
        self.audited(&trees, audit, |t| {
            let id = app.id.to_bytes();
            if t[0].remove(&id[..])?.is_none() {
                return abort(Conflict::Missing);
            }
            t[1].remove(&key::<32>(&[&app.team.to_bytes(), &id])[..])?;
            t[2].remove(&app_name_key(app, &app.details.name_key())[..])?;
            for a in accesses {
                let aid = a.id.to_bytes();
                t[3].remove(&aid[..])?;
                for (index, k) in t[4..8].iter().zip(access_index_keys(a)) {
                    index.remove(&k[..])?;
                }
                let live = live_access_key(a);
                if t[8].get(&live[..])?.as_deref() == Some(&aid[..]) {
                    t[8].remove(&live[..])?;
                }
            }
            Ok(())
        })
    }
}
