//! Teams, their unique names, and memberships indexed both ways.

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, abort, key};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{Membership, Team, TeamRole};

tx_trees! {
    /// The trees a new team and its first admin write.
    NewTeam { team, team_by_name, membership, membership_by_user }
}

tx_trees! {
    /// A team's own record.
    TeamRecord { team }
}

tx_trees! {
    /// A team's memberships, both ways.
    Members { membership, membership_by_user }
}

impl Store {
    pub fn create_team(
        &self,
        team: &Team,
        admin: &Membership,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let team_value = encode(team)?;
        let member_value = encode(admin)?;
        let name_key = team.name.key();
        self.audited(&NewTeam::trees(self), audit, |t| {
            let v = NewTeam::of(t);
            let (teams, by_name, members, by_user) =
                (v.team, v.team_by_name, v.membership, v.membership_by_user);
            if by_name.get(name_key.as_bytes())?.is_some() {
                return abort(Conflict::TeamNameTaken);
            }
            teams.insert(&team.id.to_bytes(), team_value.clone())?;
            by_name.insert(name_key.as_bytes(), &team.id.to_bytes())?;
            let (tu, ut) = membership_keys(admin.team_id, admin.user_id);
            members.insert(&tu[..], member_value.clone())?;
            by_user.insert(&ut[..], &[])?;
            Ok(())
        })
    }

    /// Rewrites a team's record (its name stays: the name index is untouched).
    pub fn update_team(&self, team: &Team, audit: &AuditRecord) -> Result<(), StoreError> {
        let value = encode(team)?;
        let id = team.id.to_bytes();
        self.audited(&TeamRecord::trees(self), audit, |t| {
            if TeamRecord::of(t).team.insert(&id, value.clone())?.is_none() {
                return abort(Conflict::Missing);
            }
            Ok(())
        })
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
        let (tu, ut) = membership_keys(m.team_id, m.user_id);
        self.audited(&Members::trees(self), audit, |t| {
            let v = Members::of(t);
            let existed = v.membership.insert(&tu[..], value.clone())?.is_some();
            if existed != replace {
                return abort(if existed {
                    Conflict::AlreadyMember
                } else {
                    Conflict::Missing
                });
            }
            v.membership_by_user.insert(&ut[..], &[])?;
            Ok(())
        })
    }

    pub fn remove_membership(
        &self,
        team: TeamId,
        user: UserId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let (tu, ut) = membership_keys(team, user);
        self.audited(&Members::trees(self), audit, |t| {
            let v = Members::of(t);
            if v.membership.remove(&tu[..])?.is_none() {
                return abort(Conflict::Missing);
            }
            v.membership_by_user.remove(&ut[..])?;
            Ok(())
        })
    }
}

fn membership_keys(team: TeamId, user: UserId) -> ([u8; 32], [u8; 32]) {
    (
        key::<32>(&[&team.to_bytes(), &user.to_bytes()]),
        key::<32>(&[&user.to_bytes(), &team.to_bytes()]),
    )
}
