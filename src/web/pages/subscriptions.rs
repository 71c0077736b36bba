//! A team's subscriptions: the list, one subscription with its history, and
//! cancelling (confirmed: a dialog with JavaScript, a confirm page without).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::approvals::describe;
use super::history::{AuditRow, audit_rows};
use crate::domain::audit::Subject;
use crate::domain::ids::{SubscriptionId, TeamId};
use crate::domain::subscription::{Party, Subscription};
use crate::ops::AppState;
use crate::ops::subscriptions;
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{TeamActing, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

pub struct Row {
    pub id: String,
    pub product_id: String,
    pub product: String,
    pub plan: String,
    pub state: &'static str,
    pub requested: String,
    pub decided: String,
    pub ended: String,
    pub reason: String,
}

fn row(state: &AppState, s: &Subscription) -> Result<Row, WebError> {
    let names = describe(state, s)?;
    Ok(Row {
        id: names.id,
        product_id: s.product.to_string(),
        product: names.product,
        plan: names.plan,
        state: s.state.as_str(),
        requested: names.requested,
        decided: names.decided,
        ended: s.ended_at.map(|t| t.display()).unwrap_or_default(),
        reason: s
            .reason
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "subscriptions/list.html")]
struct ListPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    rows: Vec<Row>,
}

pub async fn list(state: web::Data<AppState>, m: TeamMember) -> PageResult {
    let rows = state
        .store
        .subscriptions_of_team(m.team.id)?
        .iter()
        .map(|s| row(&state, s))
        .collect::<Result<_, _>>()?;
    page(&ListPage {
        layout: Layout::new(&m.who.0, format!("Subscriptions of {}", m.team.name)),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "subscriptions/show.html")]
struct ShowPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    sub: Row,
    requested_by: String,
    quota: String,
    ended_by_provider: bool,
    can_cancel: bool,
    history: Vec<AuditRow>,
    /// Once active: Request Access to each resource the plan includes.
    next_steps: Vec<(String, String)>,
}

pub async fn show(
    state: web::Data<AppState>,
    m: TeamMember,
    path: web::Path<(TeamId, SubscriptionId)>,
) -> PageResult {
    let s = subscriptions::team_subscription(&state, m.team.id, path.1)?;
    let names = describe(&state, &s)?;
    let plan = state.store.plan(s.product, s.plan)?;
    let quota = plan
        .as_ref()
        .map(|p| p.spec.quota.to_string())
        .unwrap_or_default();
    // The next step once active: Request Access to the plan's resources.
    let active = s.state == crate::domain::subscription::SubscriptionState::Active;
    let mut next_steps = Vec::new();
    if active && m.role.can_act() {
        for r in state.store.resources(s.product)? {
            if plan
                .as_ref()
                .is_some_and(|p| p.spec.resources.contains(&r.id))
            {
                next_steps.push((
                    format!(
                        "/marketplace/products/{}/resources/{}/request-access?subscription={}&from=/teams/{}/subscriptions/{}",
                        s.product, r.id, s.id, m.team.id, s.id
                    ),
                    r.spec.name,
                ));
            }
        }
    }
    let history = audit_rows(
        &state.store,
        state.store.subject_audit(Subject::Subscription(s.id), 50)?,
    )?;
    page(&ShowPage {
        layout: Layout::new(&m.who.0, format!("{} – {}", names.product, names.plan)),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        requested_by: names.requested_by,
        quota,
        ended_by_provider: s.ended_by == Some(Party::Provider),
        can_cancel: m.role.can_act() && active,
        next_steps,
        sub: row(&state, &s)?,
        history,
    })
}

#[derive(Template)]
#[template(path = "subscriptions/cancel.html")]
struct ConfirmCancel {
    layout: Layout,
    team_id: String,
    sub: Row,
    reason: String,
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
    /// Set by the confirm page, or by the dialog when JavaScript runs.
    #[serde(default)]
    confirmed: String,
}

pub async fn cancel(
    state: web::Data<AppState>,
    TeamActing(m): TeamActing,
    path: web::Path<(TeamId, SubscriptionId)>,
    Form(f): Form<CancelForm>,
) -> PageResult {
    let s = subscriptions::team_subscription(&state, m.team.id, path.1)?;
    if f.confirmed != "yes" {
        return page(&ConfirmCancel {
            layout: Layout::new(&m.who.0, "Cancel subscription"),
            team_id: m.team.id.to_string(),
            sub: row(&state, &s)?,
            reason: f.reason,
        });
    }
    let to = format!("/teams/{}/subscriptions/{}", m.team.id, s.id);
    let (kind, message) = match subscriptions::cancel(&state, &m.caller(), &s, &f.reason).await {
        Ok(_) => (
            FlashKind::Success,
            "The subscription is cancelled.".to_owned(),
        ),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&m.who.0, &to, kind, message))
}
