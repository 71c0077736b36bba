//! Errors as RFC 9457 `application/problem+json`: a stable `type` per kind
//! of error, the HTTP status, a title, a detail for people, and the field
//! errors of invalid input. The cause of an internal error goes to the
//! log, never to the caller.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ops::OpError;
use crate::store::StoreError;

/// The problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"type": "urn:agora:problem:invalid", "title": "Invalid input", "status": 422, "detail": "Some fields need attention: see `errors`.", "errors": {"grace": "Choose none, 1h, 24h or 7d."}}))]
pub struct Problem {
    /// Stable per kind of error: `urn:agora:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For invalid input: the message of each field, by field name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(required = false)]
    pub errors: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no valid bearer token")]
    Unauthenticated(&'static str),
    #[error(transparent)]
    Op(#[from] OpError),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A body past the API's bound.
    #[error("The body is larger than {0} bytes.")]
    TooLarge(usize),
    #[error("a request with this Idempotency-Key is still being handled")]
    InFlight,
    /// An `Idempotency-Key` sent again with another request.
    #[error("{0}")]
    KeyReused(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Op(e.into())
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::InFlight => (StatusCode::CONFLICT, "in-flight", "Request in progress"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Body too large"),
            ApiError::KeyReused(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key used for another request",
            ),
            ApiError::Op(e) => match e {
                OpError::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
                OpError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
                OpError::Invalid(_) | OpError::InvalidValues { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid input")
                }
                OpError::Refused(_) => (StatusCode::CONFLICT, "refused", "Refused"),
                OpError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
                OpError::Gone(_) => (StatusCode::GONE, "gone", "Gone"),
                OpError::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                ),
            },
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, kind, title) = self.parts();
        let mut errors = BTreeMap::new();
        let detail = match self {
            ApiError::Unauthenticated(why) => (*why).to_owned(),
            ApiError::BadRequest(why) => why.clone(),
            ApiError::InFlight | ApiError::TooLarge(_) => self.to_string(),
            ApiError::KeyReused(why) => why.clone(),
            ApiError::Op(e) => match e {
                OpError::NotFound => {
                    "There is nothing here, or the token cannot see it.".to_owned()
                }
                OpError::Internal(cause) => {
                    tracing::error!(error = %cause, "API request failed");
                    "The server could not complete this request. It has been logged.".to_owned()
                }
                OpError::Invalid(fields) => {
                    for f in fields {
                        errors.insert(f.field.to_owned(), f.message.clone());
                    }
                    "Some fields need attention: see `errors`.".to_owned()
                }
                OpError::InvalidValues {
                    errors: fields,
                    by_field,
                } => {
                    for f in fields {
                        errors.insert(f.field.to_owned(), f.message.clone());
                    }
                    for (name, message) in by_field {
                        errors.insert(format!("values.{name}"), message.clone());
                    }
                    "Some fields need attention: see `errors`.".to_owned()
                }
                other => other.to_string(),
            },
        };
        Problem {
            kind: format!("urn:agora:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if matches!(self, ApiError::InFlight) {
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        if matches!(self, ApiError::Unauthenticated(_)) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"agora\""));
        }
        res.json(self.problem())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Answers a body refused by the extractor's bound (actix's own plain-text
/// 413) as the API's problem, like every other refusal.
pub(crate) async fn bounded(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let plain = res.status() == StatusCode::PAYLOAD_TOO_LARGE
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|ct| ct.as_bytes() != b"application/problem+json");
    if !plain {
        return Ok(res);
    }
    let (req, _) = res.into_parts();
    let problem = ApiError::TooLarge(super::MAX_BODY).error_response();
    Ok(actix_web::dev::ServiceResponse::new(req, problem))
}
