//! Password reset links, kept apart from invitations: each one-time link
//! has one purpose, and its token is looked up only among the links of that
//! purpose, so a reset link's token is unknown to the invitation pages and
//! an invitation's to the reset page. Stored under the SHA-256 of the
//! token; one open link per person; any change of their password ends it.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, TxResult, abort, from_tx, key, tx_decode, tx_encode};
use crate::clock::Timestamp;
use crate::domain::account::{PasswordHash, User};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::UserId;
use crate::domain::token::ApiToken;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetLink {
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A reset carried out: the link used, the new password and session, and
/// the person's API tokens to revoke with it (none when they keep them).
pub struct Reset<'a> {
    pub link: &'a [u8; 32],
    pub password: &'a PasswordHash,
    pub now: Timestamp,
    pub session_hash: &'a [u8; 32],
    pub session: &'a super::Session,
    pub revoke: &'a [ApiToken],
}

tx_trees! {
    /// Everything a reset changes: the link, the person, their sessions
    /// and their API tokens.
    ResetTx {
        password_reset, password_reset_by_user, user, session, session_by_user,
        api_token, api_token_by_owner
    }
}

/// Ends the person's open reset link, if any, inside a transaction over
/// `password_reset` and `password_reset_by_user`: every change of a
/// password calls it, so no link outlives the password it was sent for.
pub(super) fn end_reset_link(
    links: &TransactionalTree,
    by_user: &TransactionalTree,
    user: UserId,
) -> TxResult<()> {
    if let Some(hash) = by_user.remove(&user.to_bytes())? {
        links.remove(hash)?;
    }
    Ok(())
}

impl Store {
    /// Stores a reset link, ending the person's earlier one.
    pub fn put_reset_link(&self, hash: &[u8; 32], link: &ResetLink) -> Result<(), StoreError> {
        let _writing = self.writing();
        let value = encode(link)?;
        let _turn = self.turn();
        let r =
            (&self.password_reset, &self.password_reset_by_user).transaction(|(links, by_user)| {
                end_reset_link(links, by_user, link.user_id)?;
                links.insert(&hash[..], value.clone())?;
                by_user.insert(&link.user_id.to_bytes(), &hash[..])?;
                Ok(())
            });
        from_tx(r)
    }

    pub fn reset_link(&self, hash: &[u8; 32]) -> Result<Option<ResetLink>, StoreError> {
        self.password_reset
            .get(hash)?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Uses up a reset link, in one transaction: the new password, every
    /// session of the person ended and a new one opened, and the tokens of
    /// `reset.revoke` revoked with their audit records. Refused as
    /// `Missing` when the link is unknown, expired, or its person has no
    /// password (an invitation is how one is first chosen).
    pub fn reset_password(
        &self,
        reset: &Reset<'_>,
        audits: &[AuditRecord],
    ) -> Result<User, StoreError> {
        let session_value = encode(reset.session)?;
        let owners: Vec<Vec<u8>> = reset.revoke.iter().map(super::tokens::owner_key).collect();
        // Read before the transaction, as sled's cannot scan (the account
        // page's change reads them the same way).
        let sessions = match self.reset_link(reset.link)? {
            Some(link) => self.session_hashes_of(link.user_id)?,
            None => return Err(StoreError::Conflict(Conflict::Missing)),
        };
        self.audited_all(&ResetTx::trees(self), audits, |views| {
            let v = ResetTx::of(views);
            let Some(raw) = v.password_reset.remove(&reset.link[..])? else {
                return abort(Conflict::Missing);
            };
            let link: ResetLink = tx_decode(&raw)?;
            let id = link.user_id.to_bytes();
            v.password_reset_by_user.remove(&id)?;
            if link.expires_at <= reset.now {
                return abort(Conflict::Missing);
            }
            let Some(raw) = v.user.get(id)? else {
                return abort(Conflict::Missing);
            };
            let mut user: User = tx_decode(&raw)?;
            if !user.is_active() {
                return abort(Conflict::Missing);
            }
            user.password_hash = Some(reset.password.clone());
            user.password_changed_at = Some(reset.now);
            v.user.insert(&id, tx_encode(&user)?)?;
            for h in &sessions {
                v.session.remove(&h[..])?;
                v.session_by_user.remove(&key::<48>(&[&id, h])[..])?;
            }
            v.session
                .insert(&reset.session_hash[..], session_value.clone())?;
            v.session_by_user
                .insert(&key::<48>(&[&id, reset.session_hash])[..], &[])?;
            for (t, owner) in reset.revoke.iter().zip(&owners) {
                v.api_token.remove(t.id.as_str().as_bytes())?;
                v.api_token_by_owner.remove(owner.as_slice())?;
            }
            Ok(user)
        })
    }

    /// Deletes reset links that expired before `now`; returns how many.
    pub fn purge_reset_links(&self, now: Timestamp) -> Result<usize, StoreError> {
        let _writing = self.writing();
        let mut dead = Vec::new();
        for entry in self.password_reset.iter() {
            let (k, v) = entry?;
            let link: ResetLink = decode(&v)?;
            if link.expires_at <= now {
                dead.push((k, link.user_id));
            }
        }
        for (hash, user) in &dead {
            let _turn = self.turn();
            let r = (&self.password_reset, &self.password_reset_by_user).transaction(
                |(links, by_user)| {
                    links.remove(hash)?;
                    if by_user.get(user.to_bytes())?.as_deref() == Some(hash.as_ref()) {
                        by_user.remove(&user.to_bytes())?;
                    }
                    Ok(())
                },
            );
            from_tx(r)?;
        }
        Ok(dead.len())
    }
}
