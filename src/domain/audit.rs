//! The audit trail: who did what, when, to what, and why.

use serde::{Deserialize, Serialize};

use super::ids::{AuditId, TeamId, UserId};
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
}
