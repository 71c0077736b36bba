//! `Idempotency-Key` on POST: a retried create answers with the object the
//! first one made (200, `Idempotent-Replayed: true`) instead of making a
//! second. Keys are kept a day, per token, and hold only the new object's
//! id: a secret shown by the first answer is never kept for a replay.
//!
//! A key stands for one request: it is bound to the route, the path (the
//! objects it names) and a digest of the body. The same key with another
//! request is refused (422) and does nothing: it never replays the first
//! one's result for, say, a renewal of another credential.

use std::future::Future;

use actix_web::{HttpRequest, HttpResponse};

use serde_json::Value;

use super::auth::Bearer;
use super::problem::{ApiError, ApiResult};
use crate::crypto::digest::sha256;
use crate::ops::AppState;
use crate::store::{Binding, Claim};

pub const HEADER: &str = "Idempotency-Key";
/// The longest key, in visible ASCII characters.
pub const MAX_KEY: usize = 200;

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

/// What the request is: its route, its path and its body's digest.
fn binding(req: &HttpRequest, body: &[u8]) -> Binding {
    let text = body.trim_ascii();
    let digest = match serde_json::from_slice::<Value>(text) {
        // serde_json's maps are sorted (no `preserve_order`) and written
        // without spaces: one request's body has one form however a
        // client spaced or ordered it.
        Ok(v) => sha256(v.to_string().as_bytes()),
        // No body reads as `null`; anything else unparsed (the handlers
        // refuse it before) is taken byte for byte.
        Err(_) if text.is_empty() => sha256(b"null"),
        Err(_) => sha256(text),
    };
    Binding {
        route: format!(
            "{} {}",
            req.method(),
            req.match_pattern().unwrap_or_else(|| req.path().to_owned())
        ),
        target: req.path().to_owned(),
        body: hex::encode(digest),
    }
}

/// The refusal of a key first sent with `first`, another request than `now`.
fn reused(first: Option<&Binding>, now: &Binding) -> ApiError {
    let what = match first {
        Some(f) if f.route != now.route => format!("another route ({})", f.route),
        Some(f) if f.target != now.target => format!("another target ({})", f.target),
        Some(_) => "another body".to_owned(),
        None => "another request".to_owned(),
    };
    ApiError::KeyReused(format!(
        "This `{HEADER}` was first sent with {what}: nothing was done. A key stands for one \
         request; send that same request again to get its result, or a new key for a new request."
    ))
}

/// Runs a create at most once per `Idempotency-Key`: `act` makes the object
/// and answers with its id and the 201 response; `replay` answers with the
/// object of an id a first request made. `body` is the request's body as
/// sent: with the route and path, what the key is bound to.
pub async fn create<A, Fut>(
    state: &AppState,
    req: &HttpRequest,
    bearer: &Bearer,
    body: &[u8],
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
    let bound = binding(req, body);
    match state
        .store
        .claim_request(user, &id, Some(&bound), state.clock.now())?
    {
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
        Claim::Other(first) => return Err(reused(first.as_ref(), &bound)),
    }
    match act().await {
        Ok((made, res)) => {
            state
                .store
                .finish_request(user, &id, Some(&bound), state.clock.now(), &made)?;
            state.store.flush().await?;
            Ok(res)
        }
        Err(e) => {
            state.store.release_request(user, &id)?;
            Err(e)
        }
    }
}
