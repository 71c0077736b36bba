//! Teams, their unique names, and memberships indexed both ways.

use sled::Transactional;

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, abort, from_tx, key};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{Membership, Team, TeamRole};

impl Store {
    pub fn create_team(
        &self,
        team: &Team,
        admin: &Membership,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let team_value = encode(team)?;
        let member_value = encode(admin)?;
        let audit_value = encode(audit)?;
        let name_key = team.name.key();
        let r = (
            &self.team,
            &self.team_by_name,
            &self.membership,
            &self.membership_by_user,
            &self.audit,
            &self.audit_by_team,
        )
            .transaction(|(teams, by_name, members, by_user, audits, audit_idx)| {
                if by_name.get(name_key.as_bytes())?.is_some() {
                    return abort(Conflict::TeamNameTaken);
                }
                teams.insert(&team.id.to_bytes(), team_value.clone())?;
                by_name.insert(name_key.as_bytes(), &team.id.to_bytes())?;
                let (tu, ut) = membership_keys(admin.team_id, admin.user_id);
                members.insert(&tu[..], member_value.clone())?;
                by_user.insert(&ut[..], &[])?;
                audits.insert(&audit.id.to_bytes(), audit_value.clone())?;
                audit_idx.insert(
                    &key::<32>(&[&team.id.to_bytes(), &audit.id.to_bytes()])[..],
                    &[],
                )?;
                Ok(())
            });
        from_tx(r)
    }

    /// Rewrites a team's record (its name stays: the name index is untouched).
    pub fn update_team(&self, team: &Team, audit: &AuditRecord) -> Result<(), StoreError> {
        let value = encode(team)?;
        let audit_value = encode(audit)?;
        let id = team.id.to_bytes();
        let r = (
            &self.team,
            &self.audit,
            &self.audit_by_team,
            &self.audit_by_subject,
        )
            .transaction(|(teams, audits, by_team, by_subject)| {
                if teams.insert(&id, value.clone())?.is_none() {
                    return abort(Conflict::Missing);
                }
                super::audit::AuditTx {
                    audits,
                    by_team,
                    by_subject,
                }
                .put(audit, &audit_value)?;
                Ok(())
            });
        from_tx(r)
    }

    pub fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError> {
        self.team
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// All teams, oldest first.
    pub fn teams(&self) -> Result<Vec<Team>, StoreError> {
        self.team.iter().values().map(|v| decode(&v?)).collect()
    }

    pub fn membership(&self, team: TeamId, user: UserId) -> Result<Option<Membership>, StoreError> {
        let (tu, _) = membership_keys(team, user);
        self.membership.get(tu)?.map(|v| decode(&v)).transpose()
    }

    pub fn members(&self, team: TeamId) -> Result<Vec<Membership>, StoreError> {
        self.membership
            .scan_prefix(team.to_bytes())
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    /// The user's teams with their role, by team name.
    pub fn teams_of(&self, user: UserId) -> Result<Vec<(Team, TeamRole)>, StoreError> {
        let mut out = Vec::new();
        for k in self.membership_by_user.scan_prefix(user.to_bytes()).keys() {
            let k = k?;
            let team_id = TeamId::from_bytes(&k[16..])
                .ok_or_else(|| StoreError::Corrupt("membership_by_user key".to_owned()))?;
            if let (Some(team), Some(m)) = (self.team(team_id)?, self.membership(team_id, user)?) {
                out.push((team, m.role));
            }
        }
        out.sort_by_key(|(t, _)| t.name.key());
        Ok(out)
    }

    /// Adds a member, or changes the role of one (`replace`), with its audit record.
    pub fn put_membership(
        &self,
        m: &Membership,
        replace: bool,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let value = encode(m)?;
        let audit_value = encode(audit)?;
        let r = (
            &self.membership,
            &self.membership_by_user,
            &self.audit,
            &self.audit_by_team,
        )
            .transaction(|(members, by_user, audits, audit_idx)| {
                let (tu, ut) = membership_keys(m.team_id, m.user_id);
                let existed = members.insert(&tu[..], value.clone())?.is_some();
                if existed != replace {
                    return abort(if existed {
                        Conflict::AlreadyMember
                    } else {
                        Conflict::Missing
                    });
                }
                by_user.insert(&ut[..], &[])?;
                audits.insert(&audit.id.to_bytes(), audit_value.clone())?;
                audit_idx.insert(
                    &key::<32>(&[&m.team_id.to_bytes(), &audit.id.to_bytes()])[..],
                    &[],
                )?;
                Ok(())
            });
        from_tx(r)
    }

    pub fn remove_membership(
        &self,
        team: TeamId,
        user: UserId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let audit_value = encode(audit)?;
        let r = (
            &self.membership,
            &self.membership_by_user,
            &self.audit,
            &self.audit_by_team,
        )
            .transaction(|(members, by_user, audits, audit_idx)| {
                let (tu, ut) = membership_keys(team, user);
                if members.remove(&tu[..])?.is_none() {
                    return abort(Conflict::Missing);
                }
                by_user.remove(&ut[..])?;
                audits.insert(&audit.id.to_bytes(), audit_value.clone())?;
                audit_idx.insert(
                    &key::<32>(&[&team.to_bytes(), &audit.id.to_bytes()])[..],
                    &[],
                )?;
                Ok(())
            });
        from_tx(r)
    }
}

fn membership_keys(team: TeamId, user: UserId) -> ([u8; 32], [u8; 32]) {
    (
        key::<32>(&[&team.to_bytes(), &user.to_bytes()]),
        key::<32>(&[&user.to_bytes(), &team.to_bytes()]),
    )
}
