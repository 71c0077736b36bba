//! Notifications by person, newest last; `notification_unread` counts the badge.

use super::codec::{decode, encode};
use super::{Store, StoreError, key};
use crate::clock::Timestamp;
use crate::domain::ids::{CredentialId, NotificationId, UserId};
use crate::domain::notification::Notification;

/// The most unread notifications counted; the badge then reads "99+".
pub const UNREAD_CAP: usize = 100;

impl Store {
    /// A person's newest notifications, newest first.
    pub fn notifications(
        &self,
        user: UserId,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notification
            .scan_prefix(user.to_bytes())
            .values()
            .rev()
            .take(limit)
            .map(|v| decode(&v?))
            .collect()
    }

    /// A person's unread notifications, counted up to [`UNREAD_CAP`]: every
    /// signed-in page shows the badge, so its cost must not grow with a backlog.
    /// Counted once per change of the person's notifications, then kept in memory.
    pub fn unread_count(&self, user: UserId) -> usize {
        if let Some(n) = self.unread.get(&user) {
            return n;
        }
        let seen = self.unread.version();
        let n = self
            .notification_unread
            .scan_prefix(user.to_bytes())
            .take(UNREAD_CAP)
            .count();
        self.unread.keep(user, n, 1, seen);
        n
    }

    /// Marks one notification read (`Some`) or all of them (`None`).
    /// Whether `user` has the notification `id` (another person's is not theirs).
    pub fn has_notification(&self, user: UserId, id: NotificationId) -> Result<bool, StoreError> {
        let k = key::<32>(&[&user.to_bytes(), &id.to_bytes()]);
        Ok(self.notification.contains_key(k)?)
    }

    pub fn mark_read(&self, user: UserId, id: Option<NotificationId>) -> Result<usize, StoreError> {
        let _writing = self.writing();
        let keys: Vec<_> = match id {
            Some(id) => vec![key::<32>(&[&user.to_bytes(), &id.to_bytes()]).to_vec()],
            None => self
                .notification_unread
                .scan_prefix(user.to_bytes())
                .keys()
                .map(|k| k.map(|k| k.to_vec()))
                .collect::<Result<_, _>>()?,
        };
        let mut marked = 0;
        for k in keys {
            if self.notification_unread.remove(&k)?.is_none() {
                continue;
            }
            if let Some(v) = self.notification.get(&k)? {
                let mut n: Notification = decode(&v)?;
                n.read = true;
                self.notification.insert(&k, encode(&n)?)?;
            }
            marked += 1;
        }
        self.unread.changed([user]);
        Ok(marked)
    }

    /// Writes notifications outside a team's transaction (the scheduler's).
    pub fn notify(&self, notes: &[Notification]) -> Result<(), StoreError> {
        let emails = self.emails_for(notes)?;
        if !emails.is_empty() {
            self.put_deliveries(&emails)?;
        }
        let _writing = self.writing();
        for n in notes {
            let k = key::<32>(&[&n.user.to_bytes(), &n.id.to_bytes()]);
            self.notification.insert(k, encode(n)?)?;
            self.notification_unread.insert(k, &[])?;
        }
        self.unread.changed(notes.iter().map(|n| n.user));
        Ok(())
    }

    /// Secrets whose view window closes within (now, until]: (credential, version).
    /// Reads only that part of the purge index.
    pub fn windows_closing(
        &self,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(CredentialId, u32)>, StoreError> {
        let start = key::<8>(&[&(now.as_millis().max(0) as u64 + 1).to_be_bytes()]);
        let end = key::<8>(&[&(until.as_millis().max(0) as u64 + 1).to_be_bytes()]);
        let mut out = Vec::new();
        for k in self.secret_purge.range(start..end).keys() {
            let k = k?;
            if let (Some(id), Ok(v)) = (
                CredentialId::from_bytes(&k[8..24]),
                <[u8; 4]>::try_from(&k[24..28]).map(u32::from_be_bytes),
            ) {
                out.push((id, v));
            }
        }
        Ok(out)
    }

    /// Records that a window-closing notice went out; false if it already had.
    pub fn mark_window_notice(&self, id: CredentialId, version: u32) -> Result<bool, StoreError> {
        let _writing = self.writing();
        let k = key::<20>(&[&id.to_bytes(), &version.to_be_bytes()]);
        Ok(self.window_notice.insert(k, &[])?.is_none())
    }
}
