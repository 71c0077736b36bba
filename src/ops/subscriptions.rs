//! Subscriptions: a team subscribes to a plan of a published product (at
//! once or after the provider approves), cancels it; the provider approves,
//! rejects or ends it with a reason.

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::subscriptions::{ChangeSubscription, Subscribe};
use crate::actors::team::TeamCommandError;
use crate::domain::ids::{SubscriptionId, TeamId};
use crate::domain::product::Product;
use crate::domain::resource::Plan;
use crate::domain::subscription::{Party, Reason, Subscription, SubscriptionEvent};
use crate::store::Conflict;

/// The team's subscription, or not found (also for another team's).
pub fn team_subscription(
    state: &AppState,
    team: TeamId,
    id: SubscriptionId,
) -> Result<Subscription, OpError> {
    match state.store.subscription(id)? {
        Some(s) if s.team == team => Ok(s),
        _ => Err(OpError::NotFound),
    }
}

/// The team's subscriptions, oldest first.
pub fn list(state: &AppState, caller: &Caller) -> Result<Vec<Subscription>, OpError> {
    Ok(state.store.subscriptions_of_team(caller.team_id())?)
}

/// The caller's team subscribes to `plan`.
pub async fn subscribe(
    state: &AppState,
    caller: &Caller,
    product: &Product,
    plan: &Plan,
) -> Result<Subscription, OpError> {
    if caller.may_change().is_err() {
        return Err(OpError::Forbidden(
            "Only a team's admins and developers can subscribe.".to_owned(),
        ));
    }
    let id = SubscriptionId::generate(state.clock.now());
    let cmd = Subscribe {
        id,
        product: product.id,
        plan: plan.id,
        actor: caller.user,
    };
    match state.teams.send(caller.team_id(), cmd).await? {
        Ok(()) => team_subscription(state, caller.team_id(), id),
        Err(TeamCommandError::Conflict(Conflict::AlreadySubscribed)) => {
            Err(OpError::Conflict(format!(
                "{} already has a subscription to this plan that is requested or active. Open the team's subscriptions to see it.",
                caller.team.name
            )))
        }
        Err(e) => Err(e.into()),
    }
}

fn optional_reason(raw: &str) -> Result<Option<Reason>, OpError> {
    match raw.trim() {
        "" => Ok(None),
        text => Reason::parse(text)
            .map(Some)
            .map_err(|e| OpError::Invalid(vec![e])),
    }
}

/// The team cancels its subscription, with a reason if it gives one.
pub async fn cancel(
    state: &AppState,
    caller: &Caller,
    s: &Subscription,
    reason: &str,
) -> Result<Subscription, OpError> {
    caller.may_change()?;
    let s = team_subscription(state, caller.team_id(), s.id)?;
    let cmd = ChangeSubscription {
        id: s.id,
        event: SubscriptionEvent::Cancel {
            by: Party::Consumer,
            reason: optional_reason(reason)?,
        },
        actor: caller.user,
        provider: None,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    team_subscription(state, caller.team_id(), s.id)
}

/// A subscription to one of the caller's provider team's products.
pub fn provided(
    state: &AppState,
    caller: &Caller,
    id: SubscriptionId,
) -> Result<Subscription, OpError> {
    caller.must_provide()?;
    match state.store.subscription(id)? {
        Some(s) if s.provider == caller.team_id() => Ok(s),
        _ => Err(OpError::NotFound),
    }
}

/// What the provider decides about a subscription.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject(String),
    End(String),
}

/// The provider approves a requested subscription, rejects it or ends an
/// active one; rejecting and ending need a reason the team reads.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    s: &Subscription,
    decision: Decision,
) -> Result<Subscription, OpError> {
    caller.must_provide()?;
    let s = provided(state, caller, s.id)?;
    let needed = |raw: &str| Reason::parse(raw).map_err(|e| OpError::Invalid(vec![e]));
    let event = match decision {
        Decision::Approve => SubscriptionEvent::Approve,
        Decision::Reject(reason) => SubscriptionEvent::Reject(needed(&reason)?),
        Decision::End(reason) => SubscriptionEvent::Cancel {
            by: Party::Provider,
            reason: Some(needed(&reason)?),
        },
    };
    let cmd = ChangeSubscription {
        id: s.id,
        event,
        actor: caller.user,
        provider: Some(caller.team_id()),
    };
    state.teams.send(s.team, cmd).await??;
    state.store.subscription(s.id)?.ok_or(OpError::NotFound)
}

/// The subscriptions to the caller's provider team's products.
pub fn of_provider(state: &AppState, caller: &Caller) -> Result<Vec<Subscription>, OpError> {
    caller.sees_provider()?;
    Ok(state.store.subscriptions_of_provider(caller.team_id())?)
}
