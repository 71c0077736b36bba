//! The provider's Approvals page: subscription requests to decide, and active
//! subscriptions the provider may end. Each decision is a message to the
//! consumer team's actor, which owns the subscription.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::applications::{AccessRow, access_row};
use crate::domain::access::Approval;
use crate::domain::ids::{AccessId, SubscriptionId, TeamId};
use crate::domain::subscription::{Reason, Subscription, SubscriptionState};
use crate::ops::subscriptions::{self, Decision};
use crate::ops::{AppState, access};
use crate::web::csrf::{Form, NoFields};
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{ProviderMember, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

pub struct SubscriptionRow {
    pub id: String,
    pub team: String,
    pub product: String,
    pub plan: String,
    pub requested_by: String,
    pub requested: String,
    pub decided: String,
    /// Ending's dialog, in the words of its confirm page.
    pub confirm_end: String,
}

/// What ending a subscription asks.
fn end_question(s: &SubscriptionRow) -> (String, String) {
    (
        format!(
            "End the subscription of {} to {} – {}?",
            s.team, s.product, s.plan
        ),
        "Its access is revoked and removed from the data planes; the team sees your reason."
            .to_owned(),
    )
}

/// Names of a subscription's team, product, plan and requester, for display.
pub fn describe(state: &AppState, s: &Subscription) -> Result<SubscriptionRow, WebError> {
    let store = &state.store;
    let product = store.product(s.product)?;
    let plan = store.plan(s.product, s.plan)?;
    let mut row = SubscriptionRow {
        confirm_end: String::new(),
        id: s.id.to_string(),
        team: store
            .team(s.team)?
            .map_or_else(|| "a removed team".to_owned(), |t| t.name.to_string()),
        product: product.map_or_else(|| "a removed product".to_owned(), |p| p.details.name),
        plan: plan.map_or_else(|| "a removed plan".to_owned(), |p| p.spec.name),
        requested_by: store.user(s.requested_by)?.map_or_else(
            || "a former user".to_owned(),
            |u| u.display_name.to_string(),
        ),
        requested: s.created_at.display(),
        decided: s.decided_at.map(|t| t.display()).unwrap_or_default(),
    };
    row.confirm_end = super::confirm::dialog(end_question(&row));
    Ok(row)
}

#[derive(Template)]
#[template(path = "provider/approvals.html")]
struct ApprovalsPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    pending: Vec<SubscriptionRow>,
    active: Vec<SubscriptionRow>,
    access: Vec<AccessRow>,
}

pub async fn show(state: web::Data<AppState>, ProviderMember(m): ProviderMember) -> PageResult {
    let mut pending = Vec::new();
    let mut active = Vec::new();
    for s in state.store.subscriptions_of_provider(m.team.id)? {
        match s.state {
            // Oldest request first: first come, first decided.
            SubscriptionState::Requested => pending.insert(0, describe(&state, &s)?),
            SubscriptionState::Active => active.push(describe(&state, &s)?),
            _ => {}
        }
    }
    let mut access = Vec::new();
    for a in state.store.accesses_of_provider(m.team.id)? {
        if a.approval == Approval::Pending {
            access.push(access_row(&state, &a)?);
        }
    }
    page(&ApprovalsPage {
        layout: Layout::new(&m.who.0, "Approvals"),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        pending,
        active,
        access,
    })
}

async fn decide(
    state: &AppState,
    m: &TeamMember,
    id: SubscriptionId,
    decision: Decision,
    done: &str,
) -> PageResult {
    let caller = m.caller();
    let s = subscriptions::provided(state, &caller, id)?;
    let to = format!("/provider/{}/approvals", m.team.id);
    let (kind, message) = match subscriptions::decide(state, &caller, &s, decision).await {
        Ok(_) => {
            let row = describe(state, &s)?;
            (
                FlashKind::Success,
                format!("{} – {} for {}: {done}.", row.product, row.plan, row.team),
            )
        }
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&m.who.0, &to, kind, message))
}

pub async fn approve(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, SubscriptionId)>,
    Form(_): Form<NoFields>,
) -> PageResult {
    decide(&state, &m, path.1, Decision::Approve, "approved").await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
    /// Ending a subscription: set by its confirm page or dialog.
    #[serde(default)]
    confirmed: String,
}

pub async fn reject(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, SubscriptionId)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    decide(&state, &m, path.1, Decision::Reject(f.reason), "rejected").await
}

pub async fn end(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, SubscriptionId)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let s = subscriptions::provided(&state, &m.caller(), path.1)?;
    // The reason is asked before the question: the confirm page carries it.
    if let Err(e) = Reason::parse(&f.reason) {
        return Ok(redirect_flash(
            &m.who.0,
            &format!("/provider/{}/approvals", m.team.id),
            FlashKind::Error,
            e.message,
        ));
    }
    if f.confirmed != "yes" {
        let row = describe(&state, &s)?;
        return super::confirm::confirm_page(
            &m.who.0,
            end_question(&row),
            format!("/provider/{}/subscriptions/{}/end", m.team.id, s.id),
            "Yes, end the subscription".to_owned(),
            format!("/provider/{}/approvals", m.team.id),
            vec![("reason", f.reason.trim().to_owned())],
        );
    }
    decide(&state, &m, s.id, Decision::End(f.reason), "ended").await
}

async fn decide_access(
    state: &AppState,
    m: &TeamMember,
    id: AccessId,
    decision: access::Decision,
    done: &str,
) -> PageResult {
    let caller = m.caller();
    let a = access::provided_access(state, &caller, id)?;
    let team = state
        .store
        .team(a.team)?
        .map(|t| t.name.to_string())
        .unwrap_or_default();
    let (kind, message) = match access::decide(state, &caller, &a, decision).await {
        Ok(_) => (
            FlashKind::Success,
            format!("Access “{}” for {team}: {done}.", a.name),
        ),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(
        &m.who.0,
        &format!("/provider/{}/approvals", m.team.id),
        kind,
        message,
    ))
}

pub async fn approve_access(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, AccessId)>,
    Form(_): Form<NoFields>,
) -> PageResult {
    decide_access(&state, &m, path.1, access::Decision::Approve, "approved").await
}

pub async fn reject_access(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(TeamId, AccessId)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    decide_access(
        &state,
        &m,
        path.1,
        access::Decision::Reject(f.reason),
        "rejected",
    )
    .await
}
