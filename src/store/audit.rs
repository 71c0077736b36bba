//! The audit trail, ordered by time (audit ids are ULIDs) and indexed by team.

use super::codec::{decode, encode};
use super::{Store, StoreError};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{AuditId, TeamId};

impl Store {
    /// Appends a record that belongs to no team transaction (sign-ins, invitations).
    pub fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.audit.insert(record.id.to_bytes(), encode(record)?)?;
        if let Some(team) = record.team {
            self.audit_by_team.insert(
                super::key::<32>(&[&team.to_bytes(), &record.id.to_bytes()]),
                &[],
            )?;
        }
        Ok(())
    }

    /// The newest `limit` records of a team, newest first.
    pub fn team_audit(&self, team: TeamId, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let mut out = Vec::new();
        for k in self
            .audit_by_team
            .scan_prefix(team.to_bytes())
            .keys()
            .rev()
            .take(limit)
        {
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
}
