//! Users, with a unique index on email.

use sled::Transactional;

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, abort, from_tx, tx_encode};
use crate::domain::account::{Email, PasswordHash, User};
use crate::domain::ids::UserId;

impl Store {
    pub fn has_users(&self) -> bool {
        !self.user.is_empty()
    }

    /// Creates the platform admin on first start; refused once done, even when
    /// two setup forms are submitted at the same moment.
    pub fn setup_first_admin(&self, user: &User) -> Result<(), StoreError> {
        let _writing = self.writing();
        let value = encode(user)?;
        let _turn = self.turn();
        let r =
            (&self.meta, &self.user, &self.user_by_email).transaction(|(meta, users, by_email)| {
                if meta.get("setup_done")?.is_some() {
                    return abort(Conflict::SetupDone);
                }
                meta.insert("setup_done", &[1u8])?;
                users.insert(&user.id.to_bytes(), value.clone())?;
                by_email.insert(user.email.as_str(), &user.id.to_bytes())?;
                Ok(())
            });
        from_tx(r)
    }

    pub fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let _writing = self.writing();
        let value = encode(user)?;
        let _turn = self.turn();
        let r = (&self.user, &self.user_by_email).transaction(|(users, by_email)| {
            if by_email.get(user.email.as_str())?.is_some() {
                return abort(Conflict::EmailTaken);
            }
            users.insert(&user.id.to_bytes(), value.clone())?;
            by_email.insert(user.email.as_str(), &user.id.to_bytes())?;
            Ok(())
        });
        from_tx(r)
    }

    pub fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.user
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    pub fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        match self.user_by_email.get(email.as_str())? {
            Some(id) => match UserId::from_bytes(&id) {
                Some(id) => self.user(id),
                None => Err(StoreError::Corrupt(
                    "user_by_email holds a bad id".to_owned(),
                )),
            },
            None => Ok(None),
        }
    }

    /// All users, oldest first.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.user.iter().values().map(|v| decode(&v?)).collect()
    }

    /// Sets a new password, ends every session of the user but `keep`, and
    /// ends their reset link: a link sent for the old password dies with it.
    pub fn set_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        now: crate::clock::Timestamp,
        keep: Option<&[u8; 32]>,
    ) -> Result<(), StoreError> {
        let _writing = self.writing();
        let sessions = self.session_hashes_of(id)?;
        let _turn = self.turn();
        let r = (
            &self.user,
            &self.session,
            &self.session_by_user,
            &self.password_reset,
            &self.password_reset_by_user,
        )
            .transaction(|(users, session, by_user, links, links_by_user)| {
                let Some(raw) = users.get(id.to_bytes())? else {
                    return abort(Conflict::Missing);
                };
                let mut user: User = super::tx_decode(&raw)?;
                user.password_hash = Some(hash.clone());
                user.password_changed_at = Some(now);
                users.insert(&id.to_bytes(), tx_encode(&user)?)?;
                for h in sessions.iter().filter(|h| Some(*h) != keep) {
                    session.remove(&h[..])?;
                    by_user.remove(&super::key::<48>(&[&id.to_bytes(), h])[..])?;
                }
                super::resets::end_reset_link(links, links_by_user, id)?;
                Ok(())
            });
        from_tx(r)
    }
}

impl Store {
    /// Which notification topics also come to the user by email.
    pub fn set_email_topics(
        &self,
        id: UserId,
        topics: &[crate::domain::notification::Topic],
    ) -> Result<(), StoreError> {
        let _writing = self.writing();
        let _turn = self.turn();
        let r = self.user.transaction(|users| {
            let Some(raw) = users.get(id.to_bytes())? else {
                return abort(Conflict::Missing);
            };
            let mut user: User = super::tx_decode(&raw)?;
            user.email_topics = topics.to_vec();
            users.insert(&id.to_bytes(), tx_encode(&user)?)?;
            Ok(())
        });
        from_tx(r)
    }
}
