//! `agora check-data`: reads the whole database and reports what does not
//! hold together — a record that does not decode, an index entry without
//! its record or a record missing from its index, a sealed secret whose
//! header or seal does not open with the key. It changes nothing.

use std::collections::BTreeSet;

use super::placed::Placed;
use super::work::{access_index_keys, due_key, secret_key};
use super::{Store, StoreError, codec::decode, key};
use crate::crypto::master_key::MasterKey;
use crate::crypto::vault::Vault;
use crate::domain::access::AccessRequest;
use crate::domain::application::Application;
use crate::domain::credential::{Credential, secret_aad};
use crate::domain::ids::CredentialId;
use crate::domain::outbox::{Task, TaskState};

/// Problems listed at most; the count goes on.
const LISTED: usize = 200;

#[derive(Debug, Default)]
pub struct DataReport {
    /// Entries read.
    pub checked: u64,
    pub problems: Vec<String>,
    /// All problems found, also those not listed.
    pub count: usize,
}

impl DataReport {
    fn problem(&mut self, p: String) {
        self.count += 1;
        if self.problems.len() < LISTED {
            self.problems.push(p);
        }
    }

    pub fn is_clean(&self) -> bool {
        self.count == 0
    }
}

type Keys = BTreeSet<Vec<u8>>;

impl Store {
    /// Checks every index against its records and every sealed secret
    /// against the key.
    pub fn check_data(&self, key: &MasterKey) -> Result<DataReport, StoreError> {
        let mut r = DataReport::default();
        self.check_credentials(&mut r, &Vault::new(key))?;
        self.check_accesses(&mut r)?;
        self.check_tasks(&mut r)?;
        self.check_audit(&mut r)?;
        self.check_applications(&mut r)?;
        self.check_pointers(&mut r)?;
        Ok(r)
    }

    /// The other indexes: each entry must name a record that exists, by the
    /// id its key ends with or the id its value holds.
    fn check_pointers(&self, r: &mut DataReport) -> Result<(), StoreError> {
        use Points::*;
        let checks: [(&str, &sled::Tree, &sled::Tree, Points); 18] = [
            (
                "product_by_provider",
                &self.product_by_provider,
                &self.product,
                Suffix(16),
            ),
            (
                "subscription_by_team",
                &self.subscription_by_team,
                &self.subscription,
                Suffix(16),
            ),
            (
                "subscription_by_provider",
                &self.subscription_by_provider,
                &self.subscription,
                Suffix(16),
            ),
            (
                "subscription_live",
                &self.subscription_live,
                &self.subscription,
                Value,
            ),
            ("access_live", &self.access_live, &self.access, Value),
            (
                "application_by_name",
                &self.application_by_name,
                &self.application,
                Value,
            ),
            ("user_by_email", &self.user_by_email, &self.user, Value),
            ("team_by_name", &self.team_by_name, &self.team, Value),
            (
                "membership_by_user",
                &self.membership_by_user,
                &self.membership,
                Swapped,
            ),
            (
                "session_by_user",
                &self.session_by_user,
                &self.session,
                Suffix(32),
            ),
            (
                "invitation_by_user",
                &self.invitation_by_user,
                &self.invitation,
                Value,
            ),
            (
                "password_reset_by_user",
                &self.password_reset_by_user,
                &self.password_reset,
                Value,
            ),
            (
                "notification_unread",
                &self.notification_unread,
                &self.notification,
                Key,
            ),
            (
                "delivery_due",
                &self.delivery_due,
                &self.delivery,
                Suffix(16),
            ),
            (
                "delivery_by_endpoint",
                &self.delivery_by_endpoint,
                &self.delivery,
                Suffix(16),
            ),
            (
                "webhook_endpoint_by_team",
                &self.webhook_endpoint_by_team,
                &self.webhook_endpoint,
                Suffix(16),
            ),
            (
                "credential_by_key",
                &self.credential_by_key,
                &self.credential,
                Value,
            ),
            (
                "access_by_app",
                &self.access_by_app,
                &self.access,
                Suffix(16),
            ),
        ];
        for (name, index, records, points) in checks {
            for kv in index.iter() {
                let (k, v) = kv?;
                r.checked += 1;
                let target: Option<Vec<u8>> = match points {
                    Suffix(n) => k.len().checked_sub(n).map(|at| k[at..].to_vec()),
                    Value => Some(v.to_vec()),
                    Key => Some(k.to_vec()),
                    Swapped => (k.len() == 32).then(|| [&k[16..], &k[..16]].concat()),
                };
                let found = match &target {
                    Some(t) => records.contains_key(t)?,
                    None => false,
                };
                if !found {
                    r.problem(format!("{name}: entry {} names no record", hex::encode(&k)));
                }
            }
        }
        Ok(())
    }

    fn check_credentials(&self, r: &mut DataReport, vault: &Vault) -> Result<(), StoreError> {
        let mut want: [Keys; 6] = Default::default();
        let mut ids = BTreeSet::new();
        each_record(r, "credential", &self.credential, |c: Credential| {
            ids.insert(c.id);
            let p = Placed::of(&c);
            if let Some(owners) = p.owner_keys(c.id) {
                for (i, o) in owners.into_iter().enumerate() {
                    want[i].insert(o.to_vec());
                }
            }
            want[3].insert(c.key_id.as_str().as_bytes().to_vec());
            if let Some(e) = p.expiry_key(c.id) {
                want[4].insert(e.to_vec());
            }
            if let Some(e) = p.reminder_key(c.id) {
                want[5].insert(e.to_vec());
            }
        })?;
        let trees = [
            ("credential_by_app", &self.credential_by_app),
            ("credential_by_resource", &self.credential_by_resource),
            ("credential_by_provider", &self.credential_by_provider),
            ("credential_by_key", &self.credential_by_key),
            ("credential_expiry", &self.credential_expiry),
            ("credential_reminder", &self.credential_reminder),
        ];
        for ((name, tree), want) in trees.into_iter().zip(want) {
            compare(r, name, tree, &want)?;
        }
        // Sealed secrets: each belongs to a credential, is in the purge
        // index, and opens with this key.
        let mut purge = Keys::new();
        for kv in self.credential_secret.iter() {
            let (k, sealed) = kv?;
            r.checked += 1;
            let (Some(id), Ok(version)) = (
                CredentialId::from_bytes(k.get(..16).unwrap_or_default()),
                <[u8; 4]>::try_from(k.get(16..20).unwrap_or_default()).map(u32::from_be_bytes),
            ) else {
                r.problem(format!(
                    "credential_secret: malformed key {}",
                    hex::encode(&k)
                ));
                continue;
            };
            if !ids.contains(&id) {
                r.problem(format!("credential_secret: credential {id} does not exist"));
            }
            if let Err(e) = vault.open(&sealed, &secret_aad(id, version)) {
                r.problem(format!(
                    "credential_secret: the secret of credential {id} (version {version}) does not open: {e}"
                ));
            }
            purge.insert(secret_key(id, version).to_vec());
        }
        for kv in self.secret_purge.iter() {
            let (k, _) = kv?;
            r.checked += 1;
            match k.get(8..28) {
                Some(secret) if purge.remove(secret) => {}
                _ => r.problem(format!(
                    "secret_purge: entry {} names no sealed secret",
                    hex::encode(&k)
                )),
            }
        }
        for missing in purge {
            r.problem(format!(
                "secret_purge: the sealed secret {} has no purge entry (it would be kept past its window)",
                hex::encode(missing)
            ));
        }
        Ok(())
    }

    fn check_accesses(&self, r: &mut DataReport) -> Result<(), StoreError> {
        let mut want: [Keys; 4] = Default::default();
        each_record(r, "access", &self.access, |a: AccessRequest| {
            for (i, o) in access_index_keys(&a).into_iter().enumerate() {
                want[i].insert(o.to_vec());
            }
        })?;
        let trees = [
            ("access_by_app", &self.access_by_app),
            ("access_by_subscription", &self.access_by_subscription),
            ("access_by_resource", &self.access_by_resource),
            ("access_by_provider", &self.access_by_provider),
        ];
        for ((name, tree), want) in trees.into_iter().zip(want) {
            compare(r, name, tree, &want)?;
        }
        Ok(())
    }

    fn check_tasks(&self, r: &mut DataReport) -> Result<(), StoreError> {
        let mut want: [Keys; 3] = Default::default();
        each_record(r, "outbox", &self.outbox, |t: Task| {
            let pk = key::<32>(&[&t.provider.to_bytes(), &t.id.to_bytes()]).to_vec();
            match t.state {
                TaskState::Due => want[0].insert(due_key(&t).to_vec()),
                TaskState::Waiting => want[1].insert(pk),
                TaskState::Failed => want[2].insert(pk),
            };
        })?;
        let trees = [
            ("outbox_due", &self.outbox_due),
            ("outbox_waiting", &self.outbox_waiting),
            ("outbox_failed", &self.outbox_failed),
        ];
        for ((name, tree), want) in trees.into_iter().zip(want) {
            compare(r, name, tree, &want)?;
        }
        Ok(())
    }

    fn check_audit(&self, r: &mut DataReport) -> Result<(), StoreError> {
        let mut want: [Keys; 2] = Default::default();
        for kv in self.audit.iter() {
            let (group, v) = kv?;
            r.checked += 1;
            let records = match super::audit::decode_records(&v) {
                Ok(records) => records,
                Err(e) => {
                    r.problem(format!(
                        "audit {}: does not decode: {e}",
                        hex::encode(&group)
                    ));
                    continue;
                }
            };
            if records.first().map(|a| a.id.to_bytes()[..] != group[..]) != Some(false) {
                r.problem(format!(
                    "audit {}: not kept under its first record's id",
                    hex::encode(&group)
                ));
            }
            for a in records {
                if let Some(team) = a.team {
                    want[0].insert(key::<32>(&[&team.to_bytes(), &group]).to_vec());
                }
                if let Some(subject) = a.subject {
                    want[1].insert(key::<32>(&[&subject.key(), &a.id.to_bytes()]).to_vec());
                }
            }
        }
        compare(r, "audit_by_team", &self.audit_by_team, &want[0])?;
        compare(r, "audit_by_subject", &self.audit_by_subject, &want[1])
    }

    fn check_applications(&self, r: &mut DataReport) -> Result<(), StoreError> {
        let mut want = Keys::new();
        each_record(r, "application", &self.application, |a: Application| {
            want.insert(key::<32>(&[&a.team.to_bytes(), &a.id.to_bytes()]).to_vec());
        })?;
        compare(r, "application_by_team", &self.application_by_team, &want)
    }
}

/// Calls `each` with every record of `tree` that decodes, and reports the
/// ones that do not.
fn each_record<T: serde::de::DeserializeOwned>(
    r: &mut DataReport,
    name: &str,
    tree: &sled::Tree,
    mut each: impl FnMut(T),
) -> Result<(), StoreError> {
    for kv in tree.iter() {
        let (k, v) = kv?;
        r.checked += 1;
        match decode(&v) {
            Ok(record) => each(record),
            Err(e) => r.problem(format!("{name} {}: does not decode: {e}", hex::encode(&k))),
        }
    }
    Ok(())
}

/// Where an index entry names its record.
#[derive(Clone, Copy)]
enum Points {
    /// By the last n bytes of its key.
    Suffix(usize),
    /// By its value.
    Value,
    /// By the same key.
    Key,
    /// By its key's two 16-byte halves swapped (user+team for team+user).
    Swapped,
}

/// Reports the entries of `tree` not in `want` and those of `want` missing
/// from `tree`.
fn compare(
    r: &mut DataReport,
    name: &str,
    tree: &sled::Tree,
    want: &Keys,
) -> Result<(), StoreError> {
    let mut seen = 0usize;
    for k in tree.iter().keys() {
        let k = k?;
        r.checked += 1;
        if want.contains(k.as_ref()) {
            seen += 1;
        } else {
            r.problem(format!("{name}: entry {} has no record", hex::encode(&k)));
        }
    }
    if seen < want.len() {
        for k in want {
            if !tree.contains_key(k)? {
                r.problem(format!(
                    "{name}: a record's entry {} is missing",
                    hex::encode(k)
                ));
            }
        }
    }
    Ok(())
}
