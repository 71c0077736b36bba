//! What can go wrong answering a page. `error_page` maps each kind to a
//! status and a page.

use crate::ops::OpError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not a form post: {0}")]
    NotAForm(String),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error("the form is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("this form was already sent and is being handled")]
    AlreadySent,
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        WebError::Internal(cause.to_string())
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::internal(e)
    }
}

impl From<actix::MailboxError> for WebError {
    fn from(e: actix::MailboxError) -> Self {
        WebError::internal(format!("team actor unavailable: {e}"))
    }
}

impl From<OpError> for WebError {
    /// What a page cannot show in place: a refusal a handler does not show
    /// as a message becomes a page of its own.
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound => WebError::NotFound,
            OpError::Forbidden(why) => WebError::Forbidden(why),
            OpError::Internal(cause) => WebError::Internal(cause),
            shown => WebError::BadRequest(shown.to_string()),
        }
    }
}

/// The message of a refusal a page shows in place (a flash, a field's
/// error), or the error page for what it cannot.
pub fn message_of(e: OpError) -> Result<String, WebError> {
    match e {
        OpError::Refused(m) | OpError::Conflict(m) | OpError::Gone(m) => Ok(m),
        OpError::Invalid(fields) | OpError::InvalidValues { errors: fields, .. } => Ok(fields
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")),
        other => Err(other.into()),
    }
}
