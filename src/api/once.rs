//! `Idempotency-Key` on POST: a retried create answers with the object the
//! first one made (200, `Idempotent-Replayed: true`) instead of making a
//! second. Keys are kept a day, per token, and hold only the new object's
//! id: a secret shown by the first answer is never kept for a replay.

use std::future::Future;

use actix_web::{HttpRequest, HttpResponse};

use super::auth::Bearer;
use super::problem::{ApiError, ApiResult};
use crate::ops::AppState;
use crate::store::Claim;

pub const HEADER: &str = "Idempotency-Key";
const MAX_KEY: usize = 200;

fn key_of(req: &HttpRequest) -> ApiResult<Option<String>> {
    let mut values = req.headers().get_all(HEADER);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bad = || {
        ApiError::BadRequest(format!(
            "`{HEADER}` must be sent once, with 1 to {MAX_KEY} visible ASCII characters."
        ))
    };
    if values.next().is_some() {
        return Err(bad());
    }
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(key.to_owned()))
}

/// Runs a create at most once per `Idempotency-Key`: `act` makes the object
/// and answers with its id and the 201 response; `replay` answers with the
/// object of an id a first request made.
pub async fn create<A, Fut>(
    state: &AppState,
    req: &HttpRequest,
    bearer: &Bearer,
    act: A,
    replay: impl FnOnce(&str) -> ApiResult<HttpResponse>,
) -> ApiResult<HttpResponse>
where
    A: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<(String, HttpResponse)>>,
{
    let Some(key) = key_of(req)? else {
        return act().await.map(|(_, res)| res);
    };
    let (user, scope) = bearer.once_scope();
    let id = format!("{scope}{key}");
    match state.store.claim_request(user, &id, state.clock.now())? {
        Claim::Fresh => {}
        Claim::Done(made) => {
            let mut res = replay(&made)?;
            res.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
                actix_web::http::header::HeaderValue::from_static("true"),
            );
            return Ok(res);
        }
        Claim::InFlight => return Err(ApiError::InFlight),
    }
    match act().await {
        Ok((made, res)) => {
            state
                .store
                .finish_request(user, &id, state.clock.now(), &made)?;
            state.store.flush().await?;
            Ok(res)
        }
        Err(e) => {
            state.store.release_request(user, &id)?;
            Err(e)
        }
    }
}
