//! Server-side sessions, stored under the SHA-256 of their id: the database
//! never holds a value that could be replayed as a cookie.

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{decode, encode};
use super::{Store, StoreError, from_tx, key};
use crate::clock::Timestamp;
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

impl Session {
    /// A session lives until it has been idle for `idle` or open for `lifetime`.
    pub fn alive(
        &self,
        now: Timestamp,
        idle: std::time::Duration,
        lifetime: std::time::Duration,
    ) -> bool {
        now.since(self.last_seen_at) < idle && now.since(self.created_at) < lifetime
    }
}

impl Store {
    pub fn insert_session(&self, hash: &[u8; 32], session: &Session) -> Result<(), StoreError> {
        let _writing = self.writing();
        let value = encode(session)?;
        let _turn = self.turn();
        let r = (&self.session, &self.session_by_user).transaction(|(s, by_user)| {
            s.insert(&hash[..], value.clone())?;
            by_user.insert(&key::<48>(&[&session.user_id.to_bytes(), hash])[..], &[])?;
            Ok(())
        });
        from_tx(r)
    }

    pub fn session(&self, hash: &[u8; 32]) -> Result<Option<Session>, StoreError> {
        self.session.get(hash)?.map(|v| decode(&v)).transpose()
    }

    /// Records activity. Not flushed: losing a `last_seen_at` in a crash only
    /// shortens the idle window.
    pub fn touch_session(&self, hash: &[u8; 32], session: &Session) -> Result<(), StoreError> {
        let _writing = self.writing();
        self.session.insert(hash, encode(session)?)?;
        Ok(())
    }

    pub fn delete_session(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        let _writing = self.writing();
        let Some(session) = self.session(hash)? else {
            return Ok(());
        };
        let _turn = self.turn();
        let r = (&self.session, &self.session_by_user).transaction(|(s, by_user)| {
            s.remove(&hash[..])?;
            by_user.remove(&key::<48>(&[&session.user_id.to_bytes(), hash])[..])?;
            Ok(())
        });
        from_tx(r)
    }

    pub fn session_hashes_of(&self, user: UserId) -> Result<Vec<[u8; 32]>, StoreError> {
        self.session_by_user
            .scan_prefix(user.to_bytes())
            .keys()
            .map(|k| {
                let k = k?;
                k.get(16..48)
                    .and_then(|h| h.try_into().ok())
                    .ok_or_else(|| StoreError::Corrupt("session_by_user key".to_owned()))
            })
            .collect()
    }

    pub fn session_count(&self) -> usize {
        self.session.len()
    }

    /// Deletes every session `alive` rejects; returns how many. A full scan:
    /// sessions number about users × devices, and the sweep runs rarely.
    pub fn purge_sessions(&self, alive: impl Fn(&Session) -> bool) -> Result<usize, StoreError> {
        let mut dead = Vec::new();
        for entry in self.session.iter() {
            let (k, v) = entry?;
            let session: Session = decode(&v)?;
            if !alive(&session)
                && let Ok(hash) = <[u8; 32]>::try_from(k.as_ref())
            {
                dead.push(hash);
            }
        }
        for hash in &dead {
            self.delete_session(hash)?;
        }
        Ok(dead.len())
    }
}
