//! Access requests: an application's request for one resource, carried by a
//! subscription of the same team whose plan includes that resource; the
//! provider approves or rejects it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::access::{DecideAccess, RequestAccess};
use crate::domain::FieldError;
use crate::domain::access::{AccessEvent, AccessRequest};
use crate::domain::account::parse_short_name;
use crate::domain::ids::{AccessId, ApplicationId, SubscriptionId, TeamId};
use crate::domain::product::Product;
use crate::domain::request_fields::check_values;
use crate::domain::resource::Resource;
use crate::domain::subscription::{Reason, SubscriptionState};

/// The team's access request, or not found (also for another team's).
pub fn team_access(state: &AppState, team: TeamId, id: AccessId) -> Result<AccessRequest, OpError> {
    match state.store.access(id)? {
        Some(a) if a.team == team => Ok(a),
        _ => Err(OpError::NotFound),
    }
}

/// The access requests of the team's applications.
pub fn list(state: &AppState, caller: &Caller) -> Result<Vec<AccessRequest>, OpError> {
    let mut all = Vec::new();
    for app in state.store.applications_of(caller.team_id())? {
        all.extend(state.store.accesses_of_app(app.id)?);
    }
    all.sort_by_key(|a| a.id);
    Ok(all)
}

/// What Request Access asks for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessInput {
    pub application: Option<ApplicationId>,
    pub subscription: Option<SubscriptionId>,
    /// Empty: "<application> – <resource>".
    #[serde(default)]
    pub name: String,
    /// The values of the fields the resource asks for, by field name.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// The name a request gets when none is typed.
pub fn default_name(application: &str, resource: &Resource) -> String {
    format!("{application} – {}", resource.spec.name)
}

/// Request Access for one of the team's applications to `resource`.
/// Checked here field by field, so the caller hears every problem at once;
/// the team actor checks the subscription again inside its transaction.
pub async fn request(
    state: &AppState,
    caller: &Caller,
    product: &Product,
    resource: &Resource,
    input: &AccessInput,
) -> Result<AccessRequest, OpError> {
    caller.may_change()?;
    let team = caller.team_id();
    let mut errors = Vec::new();
    let app = match input.application {
        Some(id) => state.store.application(id)?,
        None => None,
    }
    .filter(|a| a.team == team && !a.is_archived());
    if app.is_none() {
        errors.push(FieldError::new(
            "application",
            "Choose one of your team's applications.",
        ));
    }
    let sub = match input.subscription {
        Some(id) => state.store.subscription(id)?,
        None => None,
    };
    // Another team's subscription is answered as an unknown one: the same
    // message and the same reads, so neither the words nor the time tell
    // that it exists or whose it is.
    let carries = match &sub {
        Some(s)
            if s.team == team
                && s.state == SubscriptionState::Active
                && s.product == resource.product =>
        {
            state
                .store
                .plan(s.product, s.plan)?
                .is_some_and(|p| p.spec.resources.contains(&resource.id))
        }
        _ => false,
    };
    if !carries {
        errors.push(FieldError::new(
            "subscription",
            format!(
                "Choose an active subscription of {}, the application's team, whose plan includes this resource.",
                caller.team.name
            ),
        ));
    }
    let name = match (&app, input.name.trim()) {
        (Some(a), "") => Some(default_name(&a.details.name, resource)),
        (_, "") => None,
        (_, typed) => Some(typed.to_owned()),
    };
    let name = match name.map(|n| parse_short_name(&n, "name", 120)) {
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    let values = check_values(&resource.spec.fields, &input.values);
    let values = match values {
        Ok(v) => v,
        Err(by_field) => return Err(OpError::InvalidValues { errors, by_field }),
    };
    let (Some(app), Some(sub), Some(name), true) = (app, sub, name, errors.is_empty()) else {
        return Err(OpError::Invalid(errors));
    };
    let id = AccessId::generate(state.clock.now());
    let cmd = RequestAccess {
        id,
        application: app.id,
        product: product.id,
        resource: resource.id,
        subscription: sub.id,
        name,
        values,
        actor: caller.user,
    };
    state.teams.send(team, cmd).await??;
    team_access(state, team, id)
}

/// An access request to one of the caller's provider team's resources.
pub fn provided_access(
    state: &AppState,
    caller: &Caller,
    id: AccessId,
) -> Result<AccessRequest, OpError> {
    caller.must_provide()?;
    match state.store.access(id)? {
        Some(a) if a.provider == caller.team_id() => Ok(a),
        _ => Err(OpError::NotFound),
    }
}

/// The provider's decision on an access request.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject(String),
}

/// The provider approves, or rejects with a reason the team reads.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    a: &AccessRequest,
    decision: Decision,
) -> Result<AccessRequest, OpError> {
    caller.must_provide()?;
    let a = provided_access(state, caller, a.id)?;
    let event = match decision {
        Decision::Approve => AccessEvent::Approve,
        Decision::Reject(reason) => {
            AccessEvent::Reject(Reason::parse(&reason).map_err(|e| OpError::Invalid(vec![e]))?)
        }
    };
    let cmd = DecideAccess {
        id: a.id,
        event,
        actor: caller.user,
        provider: caller.team_id(),
    };
    state.teams.send(a.team, cmd).await??;
    state.store.access(a.id)?.ok_or(OpError::NotFound)
}

/// The access requests to the caller's provider team's resources.
pub fn of_provider(state: &AppState, caller: &Caller) -> Result<Vec<AccessRequest>, OpError> {
    caller.sees_provider()?;
    Ok(state.store.accesses_of_provider(caller.team_id())?)
}
