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
use crate::domain::delivery::Delivery;
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
    /// Emails and webhook calls telling of this change.
    pub deliveries: Vec<Delivery>,
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

tx_trees! {
    /// The trees a [`Changes`] writes.
    Views {
        subscription,
        subscription_live,
        application,
        application_by_team,
        application_by_name,
        access,
        access_by_app,
        access_by_subscription,
        access_by_resource,
        access_by_provider,
        access_live,
        outbox,
        outbox_due,
        outbox_waiting,
        outbox_failed,
        credential,
        credential_by_app,
        credential_by_resource,
        credential_by_provider,
        credential_by_key,
        credential_expiry,
        credential_reminder,
        credential_secret,
        secret_purge,
        notification,
        notification_unread,
        delivery,
        delivery_due,
        delivery_by_endpoint,
    }
}

tx_trees! {
    /// The trees deleting an application writes.
    AppDeletion {
        application,
        application_by_team,
        application_by_name,
        access,
        access_by_app,
        access_by_subscription,
        access_by_resource,
        access_by_provider,
        access_live,
    }
}

impl Views<'_> {
    fn put_access(&self, a: &AccessRequest, is_new: bool) -> TxResult<()> {
        let (access, live) = (self.access, self.access_live);
        let indexes = [
            self.access_by_app,
            self.access_by_subscription,
            self.access_by_resource,
            self.access_by_provider,
        ];
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
        for (index, k) in indexes.into_iter().zip(access_index_keys(a)) {
            index.insert(&k[..], &[])?;
        }
        Ok(())
    }

    /// Removes a task's index entries as last written.
    fn unindex_task(&self, id: TaskId) -> TxResult<Option<Task>> {
        let (outbox, due, waiting, failed) = (
            self.outbox,
            self.outbox_due,
            self.outbox_waiting,
            self.outbox_failed,
        );
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
        self.outbox
            .insert(&t.id.to_bytes()[..], super::tx_encode(t)?)?;
        let (due, waiting, failed) = (self.outbox_due, self.outbox_waiting, self.outbox_failed);
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
            self.outbox.remove(&id.to_bytes()[..])?;
        }
        Ok(())
    }

    fn put_application(&self, w: &AppWrite<'_>) -> TxResult<()> {
        let (apps, by_team, by_name) = (
            self.application,
            self.application_by_team,
            self.application_by_name,
        );
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
pub(super) fn access_index_keys(a: &AccessRequest) -> [[u8; 32]; 4] {
    let id = a.id.to_bytes();
    [
        key::<32>(&[&a.application.to_bytes(), &id]),
        key::<32>(&[&a.subscription.to_bytes(), &id]),
        key::<32>(&[&a.resource.to_bytes(), &id]),
        key::<32>(&[&a.provider.to_bytes(), &id]),
    ]
}

/// A credential's keys in `credential_by_app`, `_by_resource` and `_by_provider`.
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

use super::placed::Placed;

impl Views<'_> {
    fn put_credential(&self, c: &Credential) -> TxResult<()> {
        let id = c.id.to_bytes();
        let old = self.credential.insert(&id[..], super::tx_encode(c)?)?;
        let old: Placed = old.map(|v| tx_decode(&v)).transpose()?.unwrap_or_default();
        let new = Placed::of(c);
        if old == new {
            return Ok(());
        }
        let (old_expiry, new_expiry) = (old.expiry_key(c.id), new.expiry_key(c.id));
        if old_expiry != new_expiry {
            let team = c.team.to_bytes();
            if let Some(k) = old_expiry {
                self.credential_expiry.remove(&k[..])?;
            }
            if let Some(k) = new_expiry {
                self.credential_expiry.insert(&k[..], &team[..])?;
            }
        }
        let (old_reminder, new_reminder) = (old.reminder_key(c.id), new.reminder_key(c.id));
        if old_reminder != new_reminder {
            let team = c.team.to_bytes();
            if let Some(k) = old_reminder {
                self.credential_reminder.remove(&k[..])?;
            }
            if let Some(k) = new_reminder {
                self.credential_reminder.insert(&k[..], &team[..])?;
            }
        }
        let (old_owners, new_owners) = (old.owner_keys(c.id), new.owner_keys(c.id));
        if old_owners != new_owners {
            for (index, k) in self
                .credential_indexes()
                .zip(old_owners.into_iter().flatten())
            {
                index.remove(&k[..])?;
            }
            for (index, k) in self
                .credential_indexes()
                .zip(new_owners.into_iter().flatten())
            {
                index.insert(&k[..], &[])?;
            }
        }
        if old.key_id != new.key_id {
            if let Some(k) = old.key_id {
                self.credential_by_key.remove(k.as_str().as_bytes())?;
            }
            self.credential_by_key
                .insert(c.key_id.as_str().as_bytes(), &id[..])?;
        }
        Ok(())
    }

    fn remove_credential(&self, c: &Credential) -> TxResult<()> {
        let placed = Placed::of(c);
        if let Some(k) = placed.expiry_key(c.id) {
            self.credential_expiry.remove(&k[..])?;
        }
        if let Some(k) = placed.reminder_key(c.id) {
            self.credential_reminder.remove(&k[..])?;
        }
        self.credential.remove(&c.id.to_bytes()[..])?;
        for (index, k) in self
            .credential_indexes()
            .zip(placed.owner_keys(c.id).into_iter().flatten())
        {
            index.remove(&k[..])?;
        }
        self.credential_by_key
            .remove(c.key_id.as_str().as_bytes())?;
        Ok(())
    }

    /// `credential_by_app`, `_by_resource` and `_by_provider`, in the order
    /// of [`Placed::owner_keys`].
    fn credential_indexes(&self) -> impl Iterator<Item = &TransactionalTree> {
        [
            self.credential_by_app,
            self.credential_by_resource,
            self.credential_by_provider,
        ]
        .into_iter()
    }

    fn put_secret(&self, s: &SealedSecret) -> TxResult<()> {
        self.credential_secret
            .insert(&secret_key(s.credential, s.version)[..], s.sealed.clone())?;
        self.secret_purge
            .insert(&purge_key(s.until, s.credential, s.version)[..], &[])?;
        Ok(())
    }
}

impl Store {
    /// Writes `changes` and `audit` in one transaction.
    pub fn commit(&self, changes: &Changes<'_>, audit: &AuditRecord) -> Result<(), StoreError> {
        self.commit_all(changes, std::slice::from_ref(audit))
    }

    /// Writes a batch of `changes` with an audit record for each in one transaction.
    pub fn commit_all(
        &self,
        changes: &Changes<'_>,
        audits: &[AuditRecord],
    ) -> Result<(), StoreError> {
        let sub_value = changes.subscription.map(encode).transpose()?;
        let mut deliveries = self.emails_for(&changes.notifications)?;
        deliveries.extend(self.events_for(changes, audits)?);
        deliveries.extend(changes.deliveries.iter().cloned());
        let written = self.audited_all(&Views::trees(self), audits, |t| {
            let v = Views::of(t);
            for d in &deliveries {
                super::deliveries::put_in(v.delivery, v.delivery_due, v.delivery_by_endpoint, d)?;
            }
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
                v.notification.insert(&k[..], super::tx_encode(n)?)?;
                v.notification_unread.insert(&k[..], &[])?;
            }
            if let (Some(sub), Some(value)) = (changes.subscription, &sub_value) {
                let id = sub.id.to_bytes();
                if v.subscription.insert(&id[..], value.clone())?.is_none() {
                    return abort(Conflict::Missing);
                }
                let live = key::<32>(&[&sub.team.to_bytes(), &sub.plan.to_bytes()]);
                if !sub.state.is_live()
                    && v.subscription_live.get(&live[..])?.as_deref() == Some(&id[..])
                {
                    v.subscription_live.remove(&live[..])?;
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
            if !deliveries.is_empty() {
                self.deliveries_written.notify_one();
            }
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
        self.audited(&AppDeletion::trees(self), audit, |t| {
            let v = AppDeletion::of(t);
            let id = app.id.to_bytes();
            if v.application.remove(&id[..])?.is_none() {
                return abort(Conflict::Missing);
            }
            v.application_by_team
                .remove(&key::<32>(&[&app.team.to_bytes(), &id])[..])?;
            v.application_by_name
                .remove(&app_name_key(app, &app.details.name_key())[..])?;
            let indexes = [
                v.access_by_app,
                v.access_by_subscription,
                v.access_by_resource,
                v.access_by_provider,
            ];
            for a in accesses {
                let aid = a.id.to_bytes();
                v.access.remove(&aid[..])?;
                for (index, k) in indexes.iter().zip(access_index_keys(a)) {
                    index.remove(&k[..])?;
                }
                let live = live_access_key(a);
                if v.access_live.get(&live[..])?.as_deref() == Some(&aid[..]) {
                    v.access_live.remove(&live[..])?;
                }
            }
            Ok(())
        })
    }
}
