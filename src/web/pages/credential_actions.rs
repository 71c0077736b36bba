//! Suspend, Enable, Renew and Delete: each confirmed (a confirm page without
//! JavaScript, a dialog with it); Renew leads to the page of the new secret.

use actix_web::web;
use serde::Deserialize;

use super::confirm::ConfirmPage;
use super::credentials::{hold_secret, secret_url};
use crate::domain::abilities::Grace;
use crate::domain::credential::Credential;
use crate::domain::expiry::Lifetime;
use crate::domain::ids::{CredentialId, TeamId};
use crate::ops::AppState;
use crate::ops::credentials::{self, Fresh, MadeBy, Renewal, Verb};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::once::{self, Once};
use crate::web::render::{Layout, PageResult, page, redirect_flash};

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    grace: String,
    /// Renew's new lifetime in days; empty: the policy's default.
    #[serde(default)]
    lifetime_days: String,
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

/// Suspend, Enable, Renew, End grace, Delete or Retry. Without
/// `confirmed=yes` the answer is a confirm page, whose form carries the
/// grace period in its query.
pub async fn act_on(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, CredentialId, Verb)>,
    query: web::Query<GraceQuery>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let (_, id, verb) = path.into_inner();
    let c = credentials::team_credential(&state, m.team.id, id)?;
    let base = format!("/teams/{}/credentials/{}", m.team.id, c.id);
    let flash = |kind, message: String| Ok(redirect_flash(&m.who.0, &base, kind, message));
    let caller = m.caller();
    if verb == Verb::Retry {
        return match credentials::act(&state, &caller, &c, verb, &Renewal::default()).await {
            Ok(_) => flash(
                FlashKind::Success,
                format!("{} is queued again for its data plane.", c.name),
            ),
            Err(e) => flash(FlashKind::Error, message_of(e)?),
        };
    }
    let chosen = if f.grace.is_empty() {
        query.into_inner().grace
    } else {
        f.grace.clone()
    };
    let grace = match verb {
        Verb::Renew => match Grace::parse(&chosen) {
            Some(g) => g,
            None => {
                return flash(
                    FlashKind::Error,
                    "Choose a grace period from the list.".to_owned(),
                );
            }
        },
        _ => Grace::None,
    };
    let renewal = Renewal {
        grace,
        lifetime_days: f.lifetime_days.trim().to_owned(),
    };
    let Some(action) = verb.action(grace, Lifetime::NONE) else {
        return Err(WebError::NotFound);
    };
    // What the credential's state or its data plane refuses is said
    // before the question is asked.
    if let Err(e) = credentials::check(&state, &c, action) {
        return flash(FlashKind::Error, message_of(e)?);
    }
    if f.confirmed != "yes" {
        return confirm(&m, &c, verb, &renewal, &chosen, &base, &f.request_id);
    }
    if verb != Verb::Renew {
        let (kind, message) = match credentials::act(&state, &caller, &c, verb, &renewal).await {
            Ok(_) if verb == Verb::Delete => {
                return Ok(redirect_flash(
                    &m.who.0,
                    &format!("/teams/{}/applications/{}", m.team.id, c.application),
                    FlashKind::Success,
                    format!("{} is deleted: calls with it are refused.", c.name),
                ));
            }
            Ok(_) if verb == Verb::EndGrace => (
                FlashKind::Success,
                format!("The previous secret of {} stops working now.", c.name),
            ),
            Ok(_) => (
                FlashKind::Success,
                format!("{} is {}.", c.name, action.verb()),
            ),
            Err(e) => (FlashKind::Error, message_of(e)?),
        };
        return flash(kind, message);
    }
    // A renewal, once per form: a resubmit finds the first one's result.
    let ticket = match once::begin(&state, m.who.user().id, &f.request_id)? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    match credentials::act(&state, &caller, &c, verb, &renewal).await {
        Ok((c, Some(Fresh::Now(secret)))) => {
            hold_secret(&state, &m, &c, &secret, true)?;
            ticket.done(&state, &secret_url(&m, c.id)).await
        }
        Ok((_, later)) => {
            let by = match later {
                Some(Fresh::Later(MadeBy::Provider)) => {
                    "The provider sets the new secret on their gateway and enters it: view it here once done."
                }
                _ => "Its data plane makes up the new secret: view it here once done.",
            };
            let res = redirect_flash(
                &m.who.0,
                &base,
                FlashKind::Success,
                format!("{} is being renewed. {by}", c.name),
            );
            ticket.done_with(&state, res, &base).await
        }
        Err(e) => {
            ticket.release(&state)?;
            flash(FlashKind::Error, message_of(e)?)
        }
    }
}

/// The confirm page of an action, shown without JavaScript's dialog.
fn confirm(
    m: &TeamMember,
    c: &Credential,
    verb: Verb,
    renewal: &Renewal,
    chosen: &str,
    base: &str,
    request_id: &str,
) -> PageResult {
    let (heading, mut message, button) = question(verb.as_str(), c);
    let renew = verb == Verb::Renew;
    let mut carry = Vec::new();
    if renew {
        let label = if chosen.is_empty() {
            "none"
        } else {
            renewal.grace.label()
        };
        message = format!("{message} Grace period: {label}.");
        if !renewal.lifetime_days.is_empty() {
            message = format!("{message} New lifetime: {} days.", renewal.lifetime_days);
            carry.push(("lifetime_days", renewal.lifetime_days.clone()));
        }
    }
    let query = if renew && !chosen.is_empty() {
        format!("?grace={chosen}")
    } else {
        String::new()
    };
    page(&ConfirmPage {
        layout: Layout::new(&m.who.0, heading.clone()),
        heading,
        message,
        action: format!("{base}/{}{query}", verb.as_str()),
        button,
        back: base.to_owned(),
        request_id: if renew {
            request_id.to_owned()
        } else {
            String::new()
        },
        carry,
    })
}

#[derive(Deserialize)]
pub struct GraceQuery {
    #[serde(default)]
    grace: String,
}
