//! Invitations: a link that lets an invited person set their own password.
//! Stored under the SHA-256 of the token; one open invitation per user.

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, abort, from_tx, key, tx_decode, tx_encode};
use crate::clock::Timestamp;
use crate::domain::account::{PasswordHash, User};
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invitation {
    pub user_id: UserId,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Store {
    /// Stores an invitation, replacing the user's earlier one (its link stops working).
    pub fn put_invitation(&self, hash: &[u8; 32], inv: &Invitation) -> Result<(), StoreError> {
        let _writing = self.writing();
        let value = encode(inv)?;
        let _turn = self.turn();
        let r = (&self.invitation, &self.invitation_by_user).transaction(|(invs, by_user)| {
            if let Some(old) = by_user.insert(&inv.user_id.to_bytes(), &hash[..])? {
                invs.remove(old)?;
            }
            invs.insert(&hash[..], value.clone())?;
            Ok(())
        });
        from_tx(r)
    }

    pub fn invitation(&self, hash: &[u8; 32]) -> Result<Option<Invitation>, StoreError> {
        self.invitation.get(hash)?.map(|v| decode(&v)).transpose()
    }

    /// The user's latest invitation, used or not yet.
    pub fn invitation_of(&self, user: UserId) -> Result<Option<Invitation>, StoreError> {
        match self.invitation_by_user.get(user.to_bytes())? {
            Some(hash) => self.invitation.get(hash)?.map(|v| decode(&v)).transpose(),
            None => Ok(None),
        }
    }

    /// Uses up the invitation: sets the password and opens a session, in one
    /// transaction, so a link works once even when submitted twice at once.
    /// An invitation is for a person who has no password yet: for anyone
    /// else it is `Missing`. Any reset link of theirs ends with it.
    pub fn accept_invitation(
        &self,
        hash: &[u8; 32],
        password: &PasswordHash,
        now: Timestamp,
        session_hash: &[u8; 32],
        session: &super::Session,
    ) -> Result<User, StoreError> {
        let _writing = self.writing();
        let session_value = encode(session)?;
        let trees = (
            &self.invitation,
            &self.invitation_by_user,
            &self.user,
            &self.session,
            &self.session_by_user,
            &self.password_reset,
            &self.password_reset_by_user,
        );
        let _turn = self.turn();
        let r = trees.transaction(
            |(invs, inv_by_user, users, sessions, sess_by_user, links, links_by_user)| {
                let Some(raw) = invs.remove(&hash[..])? else {
                    return abort(Conflict::Missing);
                };
                let inv: Invitation = tx_decode(&raw)?;
                if inv.expires_at <= now {
                    return abort(Conflict::Missing);
                }
                inv_by_user.remove(&inv.user_id.to_bytes())?;
                let Some(raw) = users.get(inv.user_id.to_bytes())? else {
                    return abort(Conflict::Missing);
                };
                let mut user: User = tx_decode(&raw)?;
                if user.is_active() {
                    return abort(Conflict::Missing);
                }
                user.password_hash = Some(password.clone());
                user.password_changed_at = Some(now);
                users.insert(&user.id.to_bytes(), tx_encode(&user)?)?;
                sessions.insert(&session_hash[..], session_value.clone())?;
                sess_by_user.insert(&key::<48>(&[&user.id.to_bytes(), session_hash])[..], &[])?;
                super::resets::end_reset_link(links, links_by_user, user.id)?;
                Ok(user)
            },
        );
        from_tx(r)
    }

    /// Deletes invitations that expired before `now`; returns how many.
    pub fn purge_invitations(&self, now: Timestamp) -> Result<usize, StoreError> {
        let _writing = self.writing();
        let mut dead = Vec::new();
        for entry in self.invitation.iter() {
            let (k, v) = entry?;
            let inv: Invitation = decode(&v)?;
            if inv.expires_at <= now {
                dead.push((k, inv.user_id));
            }
        }
        for (hash, user) in &dead {
            let _turn = self.turn();
            let r = (&self.invitation, &self.invitation_by_user).transaction(|(invs, by_user)| {
                invs.remove(hash)?;
                if by_user.get(user.to_bytes())?.as_deref() == Some(hash.as_ref()) {
                    by_user.remove(&user.to_bytes())?;
                }
                Ok(())
            });
            from_tx(r)?;
        }
        Ok(dead.len())
    }
}
