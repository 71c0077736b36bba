//! In-app notifications: what a person would want to hear about their team's
//! subscriptions, access and credentials, and (for providers) requests
//! awaiting their approval.

use serde::{Deserialize, Serialize};

use super::ids::{NotificationId, UserId};
use crate::clock::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub user: UserId,
    pub at: Timestamp,
    pub text: String,
    /// Where to look (a path on this site).
    pub link: String,
    #[serde(default)]
    pub read: bool,
}

impl Notification {
    pub fn new(user: UserId, at: Timestamp, text: &str, link: &str) -> Self {
        Self {
            id: NotificationId::generate(at),
            user,
            at,
            text: text.to_owned(),
            link: link.to_owned(),
            read: false,
        }
    }
}
