//! What can go wrong answering a page. `error_page` maps each kind to a
//! status and a page.

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
