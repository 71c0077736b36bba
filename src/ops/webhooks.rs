//! Event webhooks: a team admin (consumer or provider team) registers
//! endpoints with the event types they want; each gets a signing secret
//! shown once; deliveries are listed with their status and can be sent
//! again.

use base64::Engine;
use serde::Deserialize;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::webhooks::{RemoveEndpoint, Resend, SaveEndpoint};
use crate::domain::delivery::Delivery;
use crate::domain::ids::{DeliveryId, EndpointId};
use crate::domain::webhook::{Endpoint, parse_events, parse_url, secret_aad};

/// What the form or the API asks for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndpointInput {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
}

/// A new endpoint and its signing secret (`whsec_…`), shown once.
pub struct Registered {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// Deliveries shown per endpoint.
pub const SHOWN: usize = 100;

pub async fn register(
    state: &AppState,
    caller: &Caller,
    input: &EndpointInput,
) -> Result<Registered, OpError> {
    caller.must_be_admin()?;
    caller.may_change()?;
    let mut errors = Vec::new();
    let url = parse_url(&input.url, state.config.webhooks.allow_private_targets)
        .map_err(|e| errors.push(e))
        .ok();
    let events = parse_events(&input.events).map_err(|e| errors.push(e)).ok();
    let (Some(url), Some(events)) = (url, events) else {
        return Err(OpError::Invalid(errors));
    };
    let now = state.clock.now();
    let id = EndpointId::generate(now);
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(crate::crypto::random::bytes::<24>())
    );
    let endpoint = Endpoint {
        id,
        team: caller.team_id(),
        url,
        events,
        secret_sealed: state.vault.seal(secret.as_bytes(), &secret_aad(id)),
        created_at: now,
        created_by: caller.user,
        enabled: true,
        failing_since: None,
        disabled_reason: None,
    };
    let cmd = SaveEndpoint {
        endpoint: endpoint.clone(),
        is_new: true,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(Registered { endpoint, secret })
}

/// The team's endpoints, for its admins.
pub fn list(state: &AppState, caller: &Caller) -> Result<Vec<Endpoint>, OpError> {
    caller.must_read_as_admin("webhooks")?;
    Ok(state.store.endpoints_of(caller.team_id())?)
}

pub fn get(state: &AppState, caller: &Caller, id: EndpointId) -> Result<Endpoint, OpError> {
    caller.must_read_as_admin("webhooks")?;
    match state.store.endpoint(id)? {
        Some(e) if e.team == caller.team_id() => Ok(e),
        _ => Err(OpError::NotFound),
    }
}

/// An endpoint's latest deliveries, newest first.
pub fn deliveries(
    state: &AppState,
    caller: &Caller,
    id: EndpointId,
) -> Result<Vec<Delivery>, OpError> {
    get(state, caller, id)?;
    Ok(state.store.deliveries_of_endpoint(id, SHOWN)?)
}

/// Changes the URL or events; enabling again clears the failure record.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    id: EndpointId,
    input: &EndpointInput,
    enable: bool,
) -> Result<Endpoint, OpError> {
    caller.may_change()?;
    let mut e = get(state, caller, id)?;
    let mut errors = Vec::new();
    let url = parse_url(&input.url, state.config.webhooks.allow_private_targets)
        .map_err(|x| errors.push(x))
        .ok();
    let events = parse_events(&input.events).map_err(|x| errors.push(x)).ok();
    let (Some(url), Some(events)) = (url, events) else {
        return Err(OpError::Invalid(errors));
    };
    e.url = url;
    e.events = events;
    if enable {
        e.enabled = true;
        e.failing_since = None;
        e.disabled_reason = None;
    }
    let cmd = SaveEndpoint {
        endpoint: e.clone(),
        is_new: false,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(e)
}

pub async fn remove(
    state: &AppState,
    caller: &Caller,
    id: EndpointId,
) -> Result<Endpoint, OpError> {
    caller.may_change()?;
    let e = get(state, caller, id)?;
    let cmd = RemoveEndpoint {
        id,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(e)
}

/// Redeliver: the delivery is due again now.
pub async fn redeliver(
    state: &AppState,
    caller: &Caller,
    endpoint: EndpointId,
    id: DeliveryId,
) -> Result<(), OpError> {
    caller.may_change()?;
    get(state, caller, endpoint)?;
    match state.store.delivery(id)? {
        Some(d) if d.endpoint() == Some(endpoint) => {}
        _ => return Err(OpError::NotFound),
    }
    let cmd = Resend::Delivery {
        id,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(())
}

/// Sends the endpoint an `endpoint.test` event.
pub async fn test(state: &AppState, caller: &Caller, endpoint: EndpointId) -> Result<(), OpError> {
    caller.may_change()?;
    get(state, caller, endpoint)?;
    let cmd = Resend::Test {
        endpoint,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    Ok(())
}
