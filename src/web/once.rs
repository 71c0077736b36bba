//! The double-submit guard of the pages: a form that creates or rotates
//! carries a one-time `request_id` (made by [`Layout::request_id`]); its
//! first POST acts and answers with a redirect to the result, and a repeat
//! (the browser's resubmit on reload, a double click) is led to that same
//! result and changes nothing.
//!
//! [`Layout::request_id`]: super::render::Layout::request_id

use actix_web::HttpResponse;

use super::errors::WebError;
use super::render::redirect;
use crate::domain::ids::UserId;
use crate::ops::AppState;
use crate::store::Claim;

/// A claimed request id, to be finished with the result or given back.
pub struct Ticket {
    user: UserId,
    /// `None`: the POST carried no id (a script), so nothing guards it.
    id: Option<String>,
}

/// What a POST may do.
pub enum Once {
    /// First time: act.
    Act(Ticket),
    /// Sent before: this answer leads to the first one's result.
    Repeat(HttpResponse),
}

/// Request ids are tokens the pages made: short, URL-safe.
fn well_formed(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Claims the POST's `request_id` for `user`.
pub fn begin(state: &AppState, user: UserId, request_id: &str) -> Result<Once, WebError> {
    let id = request_id.trim();
    if id.is_empty() {
        return Ok(Once::Act(Ticket { user, id: None }));
    }
    if !well_formed(id) {
        return Err(WebError::BadRequest(
            "The form's request id is not one Agora made. Reload the page and try again.".into(),
        ));
    }
    match state
        .store
        .claim_request(user, id, None, state.clock.now())?
    {
        Claim::Fresh => Ok(Once::Act(Ticket {
            user,
            id: Some(id.to_owned()),
        })),
        Claim::Done(to) => Ok(Once::Repeat(redirect(&to))),
        // Pages claim no id with a binding: another claim is one this form did not make.
        Claim::InFlight | Claim::Other(_) => Err(WebError::AlreadySent),
    }
}

impl Ticket {
    /// Records `to` as the result and answers with a redirect there. The
    /// record is flushed before the answer, like the change it follows.
    pub async fn done(self, state: &AppState, to: &str) -> Result<HttpResponse, WebError> {
        if let Some(id) = &self.id {
            state
                .store
                .finish_request(self.user, id, None, state.clock.now(), to)?;
            state.store.flush().await?;
        }
        Ok(redirect(to))
    }

    /// Like [`Self::done`] with a message shown on the result page.
    pub async fn done_with(
        self,
        state: &AppState,
        res: HttpResponse,
        to: &str,
    ) -> Result<HttpResponse, WebError> {
        if let Some(id) = &self.id {
            state
                .store
                .finish_request(self.user, id, None, state.clock.now(), to)?;
            state.store.flush().await?;
        }
        Ok(res)
    }

    /// Nothing happened (the form is shown again): the id may be sent again.
    pub fn release(self, state: &AppState) -> Result<(), WebError> {
        if let Some(id) = &self.id {
            state.store.release_request(self.user, id)?;
        }
        Ok(())
    }
}

/// Runs a create under the guard: the first POST with `request_id` acts; if
/// it answers with a redirect (done), that is recorded as the result a
/// repeat is led to; any other answer (the form again, with errors) gives
/// the id back, since nothing was made.
pub async fn guarded<Fut>(
    state: &AppState,
    user: UserId,
    request_id: &str,
    act: impl FnOnce() -> Fut,
) -> Result<HttpResponse, WebError>
where
    Fut: std::future::Future<Output = Result<HttpResponse, WebError>>,
{
    let ticket = match begin(state, user, request_id)? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    let result = act().await;
    match &result {
        Ok(res) if res.status() == actix_web::http::StatusCode::SEE_OTHER => {
            let to = res
                .headers()
                .get(actix_web::http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("/")
                .to_owned();
            if let Some(id) = &ticket.id {
                state
                    .store
                    .finish_request(ticket.user, id, None, state.clock.now(), &to)?;
                state.store.flush().await?;
            }
        }
        _ => ticket.release(state)?,
    }
    result
}
