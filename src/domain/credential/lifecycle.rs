//! A credential's states and steps: what the user wants (`Desired`), what
//! the data plane has confirmed (`Observed`), the steps that carry one to
//! the other (`CredentialOp`) and what people ask for (`CredentialAction`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::abilities::Grace;
use crate::domain::expiry::Lifetime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Desired {
    Active,
    Inactive,
    Deleted,
}

/// What the data plane has confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Observed {
    /// Not on the data plane yet.
    Absent,
    Active,
    Inactive,
    /// Removed after deletion.
    Removed,
}

/// The steps a data plane carries out for a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialOp {
    Provision,
    Suspend,
    Enable,
    Renew,
    /// The previous secret stops working now: its grace period ends early.
    EndGrace,
    Deprovision,
}

impl CredentialOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialOp::Provision => "provision",
            CredentialOp::Suspend => "suspend",
            CredentialOp::Enable => "enable",
            CredentialOp::Renew => "renew",
            CredentialOp::EndGrace => "end_grace",
            CredentialOp::Deprovision => "deprovision",
        }
    }

    pub(super) fn progress(self) -> &'static str {
        match self {
            CredentialOp::Provision => "provisioning…",
            CredentialOp::Suspend => "suspending…",
            CredentialOp::Enable => "enabling…",
            CredentialOp::Renew => "renewing…",
            CredentialOp::EndGrace => "ending the grace period…",
            CredentialOp::Deprovision => "deleting…",
        }
    }
}

/// What the user (or the provider) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialAction {
    Suspend,
    Enable,
    /// A new secret and a new lifetime; the old secret keeps working for `grace`.
    Renew {
        grace: Grace,
        lifetime: Lifetime,
    },
    /// The previous secret of a renewal stops working now, not at the end of its grace.
    EndGrace,
    Delete,
    /// Its lifetime ended: suspended or removed, as its policy says.
    Expire,
}

impl CredentialAction {
    /// The audit record's action name: `credential.<event>`.
    pub fn event(self) -> &'static str {
        match self {
            CredentialAction::EndGrace => "grace_ended",
            other => other.verb(),
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            CredentialAction::Suspend => "suspended",
            CredentialAction::Enable => "enabled",
            CredentialAction::Renew { .. } => "renewed",
            CredentialAction::EndGrace => "ended the grace period of",
            CredentialAction::Delete => "deleted",
            CredentialAction::Expire => "expired",
        }
    }
}

impl fmt::Display for Desired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Desired::Active => "active",
            Desired::Inactive => "inactive",
            Desired::Deleted => "deleted",
        })
    }
}
