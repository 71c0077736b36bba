//! The provider's Approvals page: subscription requests to decide, and active
//! subscriptions the provider may end. Each decision is a message to the
//! consumer team's actor, which owns the subscription.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::applications::{AccessRow, access_row};
use super::provider::outcome;
use crate::actors::access::DecideAccess;
use crate::actors::subscriptions::ChangeSubscription;
use crate::domain::access::{AccessEvent, Approval};
use crate::domain::ids::AccessId;
use crate::domain::ids::SubscriptionId;
use crate::domain::subscription::{
    Party, Reason, Subscription, SubscriptionEvent, SubscriptionState,
};
use crate::ops::AppState;
use crate::web::csrf::{Form, NoFields};
use crate::web::errors::WebError;
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

/// The subscription in the path, when it is to one of this provider's products.
fn provided(state: &AppState, m: &TeamMember, raw: &str) -> Result<Subscription, WebError> {
    let id: SubscriptionId = raw.parse().map_err(|_| WebError::NotFound)?;
    match state.store.subscription(id)? {
        Some(s) if s.provider == m.team.id => Ok(s),
        _ => Err(WebError::NotFound),
    }
}

async fn decide(
    state: &AppState,
    m: &TeamMember,
    s: &Subscription,
    event: SubscriptionEvent,
    done: &str,
) -> PageResult {
    let row = describe(state, s)?;
    let cmd = ChangeSubscription {
        id: s.id,
        event,
        actor: m.who.user().id,
        provider: Some(m.team.id),
    };
    let result = state.teams.send(s.team, cmd).await?;
    outcome(
        m,
        result,
        &format!("/provider/{}/approvals", m.team.id),
        format!("{} – {} for {}: {done}.", row.product, row.plan, row.team),
    )
}

pub async fn approve(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(String, String)>,
    Form(_): Form<NoFields>,
) -> PageResult {
    let s = provided(&state, &m, &path.1)?;
    decide(&state, &m, &s, SubscriptionEvent::Approve, "approved").await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
    /// Ending a subscription: set by its confirm page or dialog.
    #[serde(default)]
    confirmed: String,
}

/// A decision that needs a reason: without one, back to the page with the message.
fn reason_or_back(m: &TeamMember, raw: &str) -> Result<Reason, Box<actix_web::HttpResponse>> {
    Reason::parse(raw).map_err(|e| {
        Box::new(redirect_flash(
            &m.who.0,
            &format!("/provider/{}/approvals", m.team.id),
            FlashKind::Error,
            e.message,
        ))
    })
}

pub async fn reject(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let s = provided(&state, &m, &path.1)?;
    let reason = match reason_or_back(&m, &f.reason) {
        Ok(r) => r,
        Err(back) => return Ok(*back),
    };
    decide(
        &state,
        &m,
        &s,
        SubscriptionEvent::Reject(reason),
        "rejected",
    )
    .await
}

pub async fn end(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let s = provided(&state, &m, &path.1)?;
    let reason = match reason_or_back(&m, &f.reason) {
        Ok(r) => r,
        Err(back) => return Ok(*back),
    };
    if f.confirmed != "yes" {
        let row = describe(&state, &s)?;
        return super::confirm::confirm_page(
            &m.who.0,
            end_question(&row),
            format!("/provider/{}/subscriptions/{}/end", m.team.id, s.id),
            "Yes, end the subscription".to_owned(),
            format!("/provider/{}/approvals", m.team.id),
            vec![("reason", reason.as_str().to_owned())],
        );
    }
    let event = SubscriptionEvent::Cancel {
        by: Party::Provider,
        reason: Some(reason),
    };
    decide(&state, &m, &s, event, "ended").await
}

/// The access request in the path, when it is to one of this provider's resources.
fn provided_access(
    state: &AppState,
    m: &TeamMember,
    raw: &str,
) -> Result<crate::domain::access::AccessRequest, WebError> {
    let id: AccessId = raw.parse().map_err(|_| WebError::NotFound)?;
    match state.store.access(id)? {
        Some(a) if a.provider == m.team.id => Ok(a),
        _ => Err(WebError::NotFound),
    }
}

async fn decide_access(
    state: &AppState,
    m: &TeamMember,
    raw: &str,
    event: AccessEvent,
    done: &str,
) -> PageResult {
    let a = provided_access(state, m, raw)?;
    let team = state
        .store
        .team(a.team)?
        .map(|t| t.name.to_string())
        .unwrap_or_default();
    let cmd = DecideAccess {
        id: a.id,
        event,
        actor: m.who.user().id,
        provider: m.team.id,
    };
    let result = state.teams.send(a.team, cmd).await?;
    outcome(
        m,
        result,
        &format!("/provider/{}/approvals", m.team.id),
        format!("Access “{}” for {team}: {done}.", a.name),
    )
}

pub async fn approve_access(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(String, String)>,
    Form(_): Form<NoFields>,
) -> PageResult {
    decide_access(&state, &m, &path.1, AccessEvent::Approve, "approved").await
}

pub async fn reject_access(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    provided_access(&state, &m, &path.1)?;
    let reason = match reason_or_back(&m, &f.reason) {
        Ok(r) => r,
        Err(back) => return Ok(*back),
    };
    decide_access(&state, &m, &path.1, AccessEvent::Reject(reason), "rejected").await
}
