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

/// What a notification is about: people choose by topic which also come by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    /// A credential became active, failed, was changed by the provider,
    /// expires soon or expired, or its secret stops being viewable.
    Credentials,
    /// Access requests decided, provisioned, failed or revoked.
    Access,
    /// Subscriptions decided or ended.
    Subscriptions,
    /// For providers: requests awaiting the team's approval.
    Approvals,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Credentials,
        Topic::Access,
        Topic::Subscriptions,
        Topic::Approvals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Credentials => "credentials",
            Topic::Access => "access",
            Topic::Subscriptions => "subscriptions",
            Topic::Approvals => "approvals",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::Credentials => {
                "Credentials: active, failed, changed by the provider, expiring, expired"
            }
            Topic::Access => "Access requests: decided, provisioned, failed, revoked",
            Topic::Subscriptions => "Subscriptions: decided or ended",
            Topic::Approvals => "Requests awaiting your team's approval (providers)",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

impl Notification {
    /// Its topic, read from the page it links to.
    pub fn topic(&self) -> Topic {
        let link = self.link.as_str();
        if link.starts_with("/provider/") && link.ends_with("/approvals") {
            Topic::Approvals
        } else if link.contains("/credentials/") {
            Topic::Credentials
        } else if link.contains("/subscriptions") {
            Topic::Subscriptions
        } else {
            Topic::Access
        }
    }

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
