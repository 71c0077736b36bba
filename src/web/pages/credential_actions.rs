//! Suspend, Enable, Renew and Delete: each confirmed (a confirm page without
//! JavaScript, a dialog with it); Renew leads to the page of the new secret.

use std::time::Duration;

use actix_web::web;
use serde::Deserialize;

use super::confirm::ConfirmPage;
use crate::actors::credentials::ChangeCredential;
use crate::actors::team::TeamCommandError;
use crate::domain::credential::{Credential, CredentialAction};
use crate::ops::AppState;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::TeamActing;
use crate::web::flash::FlashKind;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

use super::credentials::{GRACES, hold_secret, new_secret, secret_url};
use super::scoped::team_credential;
pub use crate::domain::credential::secret_aad;
use crate::web::once::{self, Once};

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    grace: String,
    /// Renew's one-time id: a resubmitted renewal never rotates again.
    #[serde(default)]
    request_id: String,
}

/// What each action asks: the heading and message of both the JavaScript
/// dialog and the confirm page shown without it, and the confirm button.
pub(super) fn question(action: &str, c: &Credential) -> (String, String, String) {
    match action {
        "suspend" => (
            format!("Suspend {}?", c.name),
            "Calls with this credential are refused until it is enabled again.".to_owned(),
            "Yes, suspend credential".to_owned(),
        ),
        "enable" => (
            format!("Enable {}?", c.name),
            "Calls with this credential are accepted again once the data plane confirms.".to_owned(),
            "Yes, enable credential".to_owned(),
        ),
        "end-grace" => (
            format!("End the grace period of {}?", c.name),
            "The previous secret stops working now; the current one keeps working.".to_owned(),
            "Yes, end the grace period".to_owned(),
        ),
        "renew" => (
            format!("Renew {}?", c.name),
            "A new secret replaces the current one, which keeps working for the grace period chosen, if any.".to_owned(),
            "Yes, renew credential".to_owned(),
        ),
        _ => (
            format!("Delete {}?", c.name),
            "This cannot be undone: calls with this credential are refused from now on, and it is removed from the data plane.".to_owned(),
            "Yes, delete credential".to_owned(),
        ),
    }
}

async fn act(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(String, String, String)>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let c = team_credential(&state, &m, &path.1)?;
    let verb = path.2.as_str();
    let base = format!("/teams/{}/credentials/{}", m.team.id, c.id);
    let now = state.clock.now();
    if verb == "retry" {
        let cmd = crate::actors::credentials::RetryCredential {
            id: c.id,
            actor: m.who.user().id,
        };
        let (kind, message) = match state.teams.send(m.team.id, cmd).await? {
            Ok(()) => (
                FlashKind::Success,
                format!("{} is queued again for its data plane.", c.name),
            ),
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(refused) => (FlashKind::Error, refused.to_string()),
        };
        return Ok(redirect_flash(&m.who.0, &base, kind, message));
    }
    if matches!(verb, "suspend" | "enable") && !state.dataplanes.can_suspend(&c.dataplane) {
        return Ok(redirect_flash(
            &m.who.0,
            &base,
            FlashKind::Error,
            "This data plane cannot suspend credentials: delete the credential instead.",
        ));
    }
    let action = match verb {
        "suspend" => CredentialAction::Suspend,
        "enable" => CredentialAction::Enable,
        "delete" => CredentialAction::Delete,
        "end-grace" => CredentialAction::EndGrace,
        "renew" => {
            if !state.dataplanes.can_renew(&c.dataplane) {
                return Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    "This data plane cannot renew credentials: create a new credential instead.",
                ));
            }
            let max = state
                .config
                .dataplane(&c.dataplane)
                .map_or(Duration::ZERO, |d| d.max_renew_grace);
            let Some((_, _, secs)) = GRACES
                .iter()
                .find(|(v, _, _)| *v == f.grace || (f.grace.is_empty() && *v == "none"))
            else {
                return Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    "Choose a grace period from the list.",
                ));
            };
            if Duration::from_secs(*secs) > max {
                return Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    "This grace period is longer than the data plane allows.",
                ));
            }
            CredentialAction::Renew {
                grace_until: (*secs > 0).then(|| now.plus(Duration::from_secs(*secs))),
            }
        }
        _ => return Err(WebError::NotFound),
    };
    if f.confirmed != "yes" {
        let (heading, mut message, button) = question(verb, &c);
        if verb == "renew" {
            let chosen = GRACES
                .iter()
                .find(|(v, _, _)| *v == f.grace)
                .map_or("none", |(_, label, _)| label);
            message = format!("{message} Grace period: {chosen}.");
        }
        let grace = if verb == "renew" {
            f.grace.clone()
        } else {
            String::new()
        };
        return page(&ConfirmPage {
            layout: Layout::new(&m.who.0, heading.clone()),
            heading,
            message,
            action: format!(
                "{base}/{verb}{}",
                if grace.is_empty() {
                    String::new()
                } else {
                    format!("?grace={grace}")
                }
            ),
            button,
            back: base,
            request_id: if verb == "renew" {
                f.request_id.clone()
            } else {
                String::new()
            },
            carry: Vec::new(),
        });
    }
    let ticket = match action {
        CredentialAction::Renew { .. } => {
            match once::begin(&state, m.who.user().id, &f.request_id)? {
                Once::Act(t) => Some(t),
                Once::Repeat(res) => return Ok(res),
            }
        }
        _ => None,
    };
    let (secret, new) = match action {
        CredentialAction::Renew { .. } => {
            let (s, n) = new_secret(&state, c.id, c.secret_version + 1, &c.dataplane);
            (s, Some(n))
        }
        _ => (None, None),
    };
    let cmd = ChangeCredential {
        id: c.id,
        action,
        secret: new,
        actor: m.who.user().id,
        provider: None,
    };
    let result = state.teams.send(m.team.id, cmd).await?;
    let Some(ticket) = ticket else {
        return Ok(match result {
            Ok(()) if action == CredentialAction::Delete => redirect_flash(
                &m.who.0,
                &format!("/teams/{}/applications/{}", m.team.id, c.application),
                FlashKind::Success,
                format!("{} is deleted: calls with it are refused.", c.name),
            ),
            Ok(()) if action == CredentialAction::EndGrace => redirect_flash(
                &m.who.0,
                &base,
                FlashKind::Success,
                format!("The previous secret of {} stops working now.", c.name),
            ),
            Ok(()) => redirect_flash(
                &m.who.0,
                &base,
                FlashKind::Success,
                format!("{} is {}.", c.name, action.verb()),
            ),
            Err(TeamCommandError::Store(e)) => return Err(e.into()),
            Err(refused) => redirect_flash(&m.who.0, &base, FlashKind::Error, refused.to_string()),
        });
    };
    // A renewal: its result is recorded for a resubmit to find.
    match (result, secret) {
        (Ok(()), Some(secret)) => {
            let c = state.store.credential(c.id)?.ok_or(WebError::NotFound)?;
            hold_secret(&state, &m, &c, &secret, true)?;
            ticket.done(&state, &secret_url(&m, c.id)).await
        }
        (Ok(()), None) => {
            let res = redirect_flash(
                &m.who.0,
                &base,
                FlashKind::Success,
                if state.dataplanes.by_hand(&c.dataplane) {
                    format!(
                        "{} is being renewed. The provider sets the new secret on their gateway and enters it: view it here once done.",
                        c.name
                    )
                } else {
                    format!(
                        "{} is being renewed. Its data plane makes up the new secret: view it here once done.",
                        c.name
                    )
                },
            );
            ticket.done_with(&state, res, &base).await
        }
        (Err(e), _) => {
            ticket.release(&state)?;
            match e {
                TeamCommandError::Store(e) => Err(e.into()),
                refused => Ok(redirect_flash(
                    &m.who.0,
                    &base,
                    FlashKind::Error,
                    refused.to_string(),
                )),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct GraceQuery {
    #[serde(default)]
    grace: String,
}

/// Suspend, Enable, Renew or Delete. Without `confirmed=yes` the answer is a
/// confirm page, whose form carries the grace period in its query.
pub async fn act_on(
    state: web::Data<AppState>,
    member: TeamActing,
    path: web::Path<(String, String, String)>,
    query: web::Query<GraceQuery>,
    Form(mut f): Form<ActionForm>,
) -> PageResult {
    if f.grace.is_empty() {
        f.grace = query.into_inner().grace;
    }
    act(state, member, path, Form(f)).await
}
