//! The audit trail, ordered by time (audit ids are ULIDs) and indexed by team
//! and by the object each record is about.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::codec::{decode, encode};
use super::{Store, StoreError, TxResult, from_tx, key};
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::ids::{AuditId, TeamId};

/// The audit trees inside a transaction.
struct AuditTx<'a> {
    pub audits: &'a TransactionalTree,
    pub by_team: &'a TransactionalTree,
    pub by_subject: &'a TransactionalTree,
}

impl AuditTx<'_> {
    pub fn put(&self, record: &AuditRecord, value: &[u8]) -> TxResult<()> {
        let id = record.id.to_bytes();
        self.audits.insert(&id, value)?;
        if let Some(team) = record.team {
            self.by_team
                .insert(&key::<32>(&[&team.to_bytes(), &id])[..], &[])?;
        }
        if let Some(subject) = record.subject {
            self.by_subject
                .insert(&key::<32>(&[&subject.key(), &id])[..], &[])?;
        }
        Ok(())
    }
}

impl Store {
    /// Runs `write` in one transaction over `trees` (their views, in order)
    /// and appends `audit` in the same transaction: a change and its record
    /// are written together or not at all.
    pub(super) fn audited<T>(
        &self,
        trees: &[&sled::Tree],
        audit: &AuditRecord,
        write: impl Fn(&[TransactionalTree]) -> TxResult<T>,
    ) -> Result<T, StoreError> {
        self.audited_all(trees, std::slice::from_ref(audit), write)
    }

    /// Like [`Self::audited`], with one audit record per change of a batch.
    pub(super) fn audited_all<T>(
        &self,
        trees: &[&sled::Tree],
        audits: &[AuditRecord],
        write: impl Fn(&[TransactionalTree]) -> TxResult<T>,
    ) -> Result<T, StoreError> {
        let _writing = self.writing();
        let values = audits.iter().map(encode).collect::<Result<Vec<_>, _>>()?;
        let mut all = trees.to_vec();
        all.extend([&self.audit, &self.audit_by_team, &self.audit_by_subject]);
        let n = trees.len();
        let r = all.as_slice().transaction(|views| {
            let out = write(&views[..n])?;
            let tx = AuditTx {
                audits: &views[n],
                by_team: &views[n + 1],
                by_subject: &views[n + 2],
            };
            for (audit, value) in audits.iter().zip(&values) {
                tx.put(audit, value)?;
            }
            Ok(out)
        });
        from_tx(r)
    }

    /// How many audit records are kept (for benchmarks and metrics).
    pub fn audit_count(&self) -> usize {
        self.audit.len()
    }

    /// Appends a record that belongs to no team transaction (sign-ins, invitations).
    pub fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let _writing = self.writing();
        let id = record.id.to_bytes();
        self.audit.insert(id, encode(record)?)?;
        if let Some(team) = record.team {
            self.audit_by_team
                .insert(key::<32>(&[&team.to_bytes(), &id]), &[])?;
        }
        if let Some(subject) = record.subject {
            self.audit_by_subject
                .insert(key::<32>(&[&subject.key(), &id]), &[])?;
        }
        Ok(())
    }

    fn audit_in(
        &self,
        index: &sled::Tree,
        prefix: [u8; 16],
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut out = Vec::new();
        for k in index.scan_prefix(prefix).keys().rev().take(limit) {
            let k = k?;
            let Some(id) = AuditId::from_bytes(&k[16..]) else {
                continue;
            };
            if let Some(v) = self.audit.get(id.to_bytes())? {
                out.push(decode(&v)?);
            }
        }
        Ok(out)
    }

    /// The newest `limit` records of a team, newest first.
    pub fn team_audit(&self, team: TeamId, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_in(&self.audit_by_team, team.to_bytes(), limit)
    }

    /// The history of one object, newest first.
    pub fn subject_audit(
        &self,
        subject: Subject,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_in(&self.audit_by_subject, subject.key(), limit)
    }
}
