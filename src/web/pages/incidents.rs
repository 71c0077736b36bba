//! Incident actions in the pages: suspend every credential of an
//! application (its team), or every credential of one consumer team on a
//! product (its provider), in one confirmed action with a reason. The
//! credentials then show their own progress.

use actix_web::web;
use serde::Deserialize;

use super::confirm::confirm_page;
use crate::domain::ids::{ApplicationId, ProductId, TeamId};
use crate::ops::incidents::{self, Suspended};
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::message_of;
use crate::web::extractors::{ProviderMember, TeamActing};
use crate::web::flash::FlashKind;
use crate::web::render::{PageResult, redirect_flash};

#[derive(Deserialize)]
pub struct IncidentForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    team: String,
}

fn said(s: Suspended) -> String {
    match (s.suspending, s.left) {
        (0, _) => "No active credential to suspend.".to_owned(),
        (n, 0) => format!("Suspending {n} credential(s): each shows its progress below."),
        (n, left) => format!(
            "Suspending {n} credential(s): each shows its progress below. {left} were not active and are left as they are."
        ),
    }
}

pub async fn suspend_application(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, ApplicationId)>,
    Form(f): Form<IncidentForm>,
) -> PageResult {
    let app = crate::ops::applications::team_app(&state, m.team.id, path.1)?;
    let back = format!("/teams/{}/applications/{}", m.team.id, app.id);
    if f.reason.trim().is_empty() {
        return Ok(redirect_flash(
            &m.who.0,
            &back,
            FlashKind::Error,
            "Give a reason: it is kept with each credential and in the history.".to_owned(),
        ));
    }
    if f.confirmed != "yes" {
        return confirm_page(
            &m.who.0,
            (
                format!("Suspend every credential of {}?", app.details.name),
                "Calls with any of them are refused from now on, until each is enabled again."
                    .to_owned(),
            ),
            format!("{back}/suspend-credentials"),
            "Yes, suspend them all".to_owned(),
            back,
            vec![("reason", f.reason.clone())],
        );
    }
    let (kind, message) =
        match incidents::suspend_application(&state, &m.caller(), app.id, &f.reason).await {
            Ok(s) => (FlashKind::Success, said(s)),
            Err(e @ (OpError::Invalid(_) | OpError::Refused(_) | OpError::Forbidden(_))) => {
                (FlashKind::Error, message_of(e)?)
            }
            Err(e) => return Err(e.into()),
        };
    Ok(redirect_flash(&m.who.0, &back, kind, message))
}

pub async fn suspend_consumer(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    Form(f): Form<IncidentForm>,
) -> PageResult {
    m.caller().must_provide()?;
    let back = format!("/provider/{}/credentials", m.team.id);
    let (Ok(product), Ok(team)) = (f.product.parse::<ProductId>(), f.team.parse::<TeamId>()) else {
        return Ok(redirect_flash(
            &m.who.0,
            &back,
            FlashKind::Error,
            "Choose the team and the product.".to_owned(),
        ));
    };
    if f.reason.trim().is_empty() {
        return Ok(redirect_flash(
            &m.who.0,
            &back,
            FlashKind::Error,
            "Give a reason: the team sees it.".to_owned(),
        ));
    }
    if f.confirmed != "yes" {
        let team_name = state
            .store
            .team(team)?
            .map(|t| t.name.to_string())
            .unwrap_or_default();
        return confirm_page(
            &m.who.0,
            (
                format!("Suspend every credential of {team_name} on this product?"),
                "Calls with them are refused from now on; the team sees your reason.".to_owned(),
            ),
            format!("{back}/suspend-all"),
            "Yes, suspend them all".to_owned(),
            back,
            vec![
                ("reason", f.reason.clone()),
                ("product", f.product.clone()),
                ("team", f.team.clone()),
            ],
        );
    }
    let (kind, message) =
        match incidents::suspend_consumer_on_product(&state, &m.caller(), product, team, &f.reason)
            .await
        {
            Ok(s) => (FlashKind::Success, said(s)),
            Err(OpError::NotFound) => (
                FlashKind::Error,
                "That team holds no credential on that product.".to_owned(),
            ),
            Err(e @ (OpError::Invalid(_) | OpError::Refused(_) | OpError::Forbidden(_))) => {
                (FlashKind::Error, message_of(e)?)
            }
            Err(e) => return Err(e.into()),
        };
    Ok(redirect_flash(&m.who.0, &back, kind, message))
}
