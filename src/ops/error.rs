//! What an operation answers when it does not do what was asked: one enum
//! for every operation, which each front end turns into its own answer (a
//! page with a message, or an `application/problem+json`).

use std::collections::BTreeMap;

use crate::actors::team::TeamCommandError;
use crate::domain::FieldError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// Absent, or another team's: both look the same from outside.
    #[error("not found")]
    NotFound,
    /// The caller may not do this (a viewer, a read-only token).
    #[error("{0}")]
    Forbidden(String),
    /// The input breaks a rule, field by field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The values of the fields a resource asks for break its rules, by
    /// field name; `errors` holds the other fields' problems.
    #[error("invalid field values")]
    InvalidValues {
        errors: Vec<FieldError>,
        by_field: BTreeMap<String, String>,
    },
    /// A rule of the operation says no, with the reason.
    #[error("{0}")]
    Refused(String),
    /// Another record already holds what this would take (a name, a route).
    #[error("{0}")]
    Conflict(String),
    /// What was asked for existed once and is gone for good (a secret whose
    /// view window closed).
    #[error("{0}")]
    Gone(String),
    /// Storage or an actor failed; the cause goes to the log, not the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

impl OpError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        OpError::Internal(cause.to_string())
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        OpError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => OpError::Conflict(c.to_string()),
            other => OpError::internal(other),
        }
    }
}

impl From<actix::MailboxError> for OpError {
    fn from(e: actix::MailboxError) -> Self {
        OpError::internal(format!("team actor unavailable: {e}"))
    }
}

impl From<TeamCommandError> for OpError {
    fn from(e: TeamCommandError) -> Self {
        match e {
            TeamCommandError::Store(e) => OpError::internal(e),
            TeamCommandError::Conflict(c) => OpError::Conflict(c.to_string()),
            TeamCommandError::Credential(crate::domain::credential::CredentialError::Missing)
            | TeamCommandError::Endpoint(crate::domain::webhook::EndpointError::Missing) => {
                OpError::NotFound
            }
            refused => OpError::Refused(refused.to_string()),
        }
    }
}
