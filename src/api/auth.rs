//! Who calls the API: a bearer token, and nothing else. The session cookie
//! is never read here, so a page's cookie cannot be used against the API
//! and the API needs no CSRF token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::problem::ApiError;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::token::ApiToken;
use crate::ops::tokens::{self, Refused};
use crate::ops::{AppState, Caller, OpError};

/// A request with a valid API token.
pub struct Bearer(pub ApiToken);

fn bearer(req: &HttpRequest) -> Result<Bearer, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Op(OpError::internal("state missing")))?;
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ApiError::Unauthenticated(
            "Send one header `Authorization: Bearer <token>` with an API token.",
        ));
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(ApiError::Unauthenticated(
            "Send one header `Authorization: Bearer <token>` with an API token.",
        ))?;
    match tokens::authenticate(state, presented) {
        Ok(t) => Ok(Bearer(t)),
        Err(Refused::Expired) => Err(ApiError::Unauthenticated("This token has expired.")),
        Err(Refused::Unknown) => Err(ApiError::Unauthenticated(
            "This token is unknown, revoked or mistyped.",
        )),
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer(req))
    }
}

impl Bearer {
    /// The token as an operation's caller in `team`; a team it cannot reach
    /// is not found, as in the pages.
    pub fn caller(&self, state: &AppState, team: TeamId) -> Result<Caller, ApiError> {
        Ok(tokens::caller_in(state, &self.0, team)?)
    }

    /// The person a personal token acts for; service tokens have none.
    pub fn person(&self) -> Result<UserId, ApiError> {
        tokens::person_of(&self.0).ok_or_else(|| {
            ApiError::Op(OpError::Forbidden(
                "This needs a personal token: a service token acts for no person.".to_owned(),
            ))
        })
    }

    /// The user an idempotency key is kept for, with the token's id, so
    /// two tokens never share a key.
    pub fn once_scope(&self) -> (UserId, String) {
        let user = match self.0.owner {
            crate::domain::token::TokenOwner::Person { user, .. } => user,
            crate::domain::token::TokenOwner::Team { made_by, .. } => made_by,
        };
        (user, format!("api:{}:", self.0.id))
    }
}
