//! The audit trail, ordered by time (audit ids are ULIDs) and indexed by team
//! and by the object each record is about.
//!
//! A transaction's records are kept together: under the first record's id
//! the audit tree holds that one record, or (schema 2) the list of all the
//! records the transaction wrote. The team index has one entry per
//! transaction and team; the subject index one per record, whose value
//! names the list it lies in when that is not its own key. A batch of 100
//! expired credentials so writes 102 audit keys instead of 300.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::codec::{decode, encode};
use super::{Store, StoreError, TxResult, from_tx, key};
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::ids::TeamId;

/// The audit trees inside a transaction.
struct AuditTx<'a> {
    pub audits: &'a TransactionalTree,
    pub by_team: &'a TransactionalTree,
    pub by_subject: &'a TransactionalTree,
}

impl AuditTx<'_> {
    /// Writes `records` (encoded together as `value`) under the first one's id.
    fn put(&self, records: &[AuditRecord], value: &[u8]) -> TxResult<()> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let group = first.id.to_bytes();
        self.audits.insert(&group, value)?;
        let mut teams: Vec<TeamId> = records.iter().filter_map(|r| r.team).collect();
        teams.sort();
        teams.dedup();
        for team in teams {
            self.by_team
                .insert(&key::<32>(&[&team.to_bytes(), &group])[..], &[])?;
        }
        for r in records {
            let Some(subject) = r.subject else {
                continue;
            };
            let id = r.id.to_bytes();
            let names: &[u8] = if id == group { &[] } else { &group };
            self.by_subject
                .insert(&key::<32>(&[&subject.key(), &id])[..], names)?;
        }
        Ok(())
    }
}

/// What the audit tree holds under one key, encoded: one record alone (as
/// every schema writes it), or a transaction's records as a list.
fn encode_records(records: &[AuditRecord]) -> Result<Vec<u8>, StoreError> {
    match records {
        [one] => encode(one),
        many => encode(&many),
    }
}

/// The records under one key of the audit tree.
pub(super) fn decode_records(bytes: &[u8]) -> Result<Vec<AuditRecord>, StoreError> {
    if list_len(bytes).is_some() {
        decode(bytes)
    } else {
        Ok(vec![decode(bytes)?])
    }
}

/// How many records a list holds, read from its MessagePack array header
/// after the format byte; `None` for a single record (a map).
fn list_len(bytes: &[u8]) -> Option<usize> {
    let body = bytes.get(1..)?;
    match *body.first()? {
        b @ 0x90..=0x9f => Some(usize::from(b & 0x0f)),
        0xdc => Some(usize::from(u16::from_be_bytes(
            body.get(1..3)?.try_into().ok()?,
        ))),
        0xdd => Some(u32::from_be_bytes(body.get(1..5)?.try_into().ok()?) as usize),
        _ => None,
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
        let value = encode_records(audits)?;
        let mut all = trees.to_vec();
        all.extend([&self.audit, &self.audit_by_team, &self.audit_by_subject]);
        let n = trees.len();
        let _turn = self.turn();
        let r = all.as_slice().transaction(|views| {
            let out = write(&views[..n])?;
            let tx = AuditTx {
                audits: &views[n],
                by_team: &views[n + 1],
                by_subject: &views[n + 2],
            };
            tx.put(audits, &value)?;
            Ok(out)
        });
        from_tx(r)
    }

    /// How many audit records are kept (for benchmarks and metrics).
    pub fn audit_count(&self) -> usize {
        self.audit
            .iter()
            .values()
            .filter_map(Result::ok)
            .map(|v| list_len(&v).unwrap_or(1))
            .sum()
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

    /// The records kept under `group`, from the last read when it is the same.
    fn records_in(
        &self,
        group: &[u8],
        last: &mut Option<(Vec<u8>, Vec<AuditRecord>)>,
    ) -> Result<(), StoreError> {
        if last.as_ref().is_some_and(|(g, _)| g == group) {
            return Ok(());
        }
        let records = match self.audit.get(group)? {
            Some(v) => decode_records(&v)?,
            None => Vec::new(),
        };
        *last = Some((group.to_vec(), records));
        Ok(())
    }

    /// The newest `limit` records of a team, newest first.
    pub fn team_audit(&self, team: TeamId, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let mut out = Vec::new();
        let mut last = None;
        for k in self.audit_by_team.scan_prefix(team.to_bytes()).keys().rev() {
            let k = k?;
            self.records_in(&k[16..], &mut last)?;
            let records = last.as_ref().map(|(_, r)| r.as_slice()).unwrap_or_default();
            for r in records.iter().rev().filter(|r| r.team == Some(team)) {
                if out.len() == limit {
                    return Ok(out);
                }
                out.push(r.clone());
            }
        }
        Ok(out)
    }

    /// The history of one object, newest first.
    pub fn subject_audit(
        &self,
        subject: Subject,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut out = Vec::new();
        let mut last = None;
        for kv in self.audit_by_subject.scan_prefix(subject.key()).rev() {
            if out.len() == limit {
                break;
            }
            let (k, v) = kv?;
            let id = &k[16..];
            self.records_in(if v.is_empty() { id } else { &v }, &mut last)?;
            let records = last.as_ref().map(|(_, r)| r.as_slice()).unwrap_or_default();
            if let Some(r) = records.iter().find(|r| r.id.to_bytes() == id) {
                out.push(r.clone());
            }
        }
        Ok(out)
    }
}
