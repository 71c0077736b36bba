//! The audit trail: who did what, when, to what, and why.

use serde::{Deserialize, Serialize};

use super::ids::{
    AccessId, ApplicationId, AuditId, CredentialId, EndpointId, ProductId, SubscriptionId, TeamId,
    UserId,
};
use crate::clock::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: AuditId,
    pub at: Timestamp,
    /// `None` when the system acted (a scheduled job, the data plane).
    pub actor: Option<UserId>,
    pub team: Option<TeamId>,
    pub action: String,
    pub detail: String,
    /// The object the record is about, for its own history.
    #[serde(default)]
    pub subject: Option<Subject>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    Product(ProductId),
    Subscription(SubscriptionId),
    Application(ApplicationId),
    Access(AccessId),
    Credential(CredentialId),
    /// A webhook endpoint (a new kind: older records never name one).
    Endpoint(EndpointId),
}

impl Subject {
    /// Ids are ULIDs, unique across kinds: the id alone keys the index.
    pub fn key(self) -> [u8; 16] {
        match self {
            Subject::Product(id) => id.to_bytes(),
            Subject::Subscription(id) => id.to_bytes(),
            Subject::Application(id) => id.to_bytes(),
            Subject::Access(id) => id.to_bytes(),
            Subject::Credential(id) => id.to_bytes(),
            Subject::Endpoint(id) => id.to_bytes(),
        }
    }
}
