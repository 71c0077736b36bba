//! A team's webhook endpoints are the team's records: registering,
//! removing, redelivering and the courier's word on an endpoint's health
//! go through its actor. An endpoint failing for days is disabled, and the
//! team's admins are told.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor};
use crate::domain::audit::Subject;
use crate::domain::delivery::{Call, Channel, Delivery};
use crate::domain::ids::{DeliveryId, EndpointId, UserId};
use crate::domain::notification::Notification;
use crate::domain::team::TeamRole;
use crate::domain::webhook::{DISABLE_AFTER_DAYS, Endpoint, EndpointError};
use crate::store::Changes;

impl TeamActor {
    fn own_endpoint(&self, id: EndpointId) -> Result<Endpoint, super::team::TeamCommandError> {
        match self.store.endpoint(id)? {
            Some(e) if e.team == self.team_id => Ok(e),
            _ => Err(EndpointError::Missing.into()),
        }
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SaveEndpoint {
    pub endpoint: Endpoint,
    pub is_new: bool,
    pub actor: UserId,
}

impl Handler<SaveEndpoint> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: SaveEndpoint, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let e = msg.endpoint;
            if e.team != me.team_id {
                return Err(EndpointError::Missing.into());
            }
            if !msg.is_new {
                me.own_endpoint(e.id)?;
            } else if me.store.endpoints_of(me.team_id)?.len()
                >= crate::domain::webhook::MAX_PER_TEAM
            {
                return Err(EndpointError::TooMany.into());
            }
            let verb = if msg.is_new { "registered" } else { "changed" };
            let audit = me.audit_about(
                msg.actor,
                &format!("webhook.{verb}"),
                format!(
                    "{verb} webhook endpoint {} for {}",
                    e.url,
                    e.events.join(", ")
                ),
                None,
            );
            me.store.put_endpoint(&e)?;
            me.store.append_audit(&audit)?;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct RemoveEndpoint {
    pub id: EndpointId,
    pub actor: UserId,
}

impl Handler<RemoveEndpoint> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: RemoveEndpoint, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let e = me.own_endpoint(msg.id)?;
            let audit = me.audit_about(
                msg.actor,
                "webhook.removed",
                format!("removed webhook endpoint {}", e.url),
                None,
            );
            me.store.remove_endpoint(&e)?;
            me.store.append_audit(&audit)?;
            Ok(())
        })
    }
}

/// Sends a delivery again now, with a fresh attempt budget; or, for an
/// endpoint, a test event.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub enum Resend {
    Delivery { id: DeliveryId, actor: UserId },
    Test { endpoint: EndpointId, actor: UserId },
}

impl Handler<Resend> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: Resend, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let now = me.clock.now();
            let d = match msg {
                Resend::Delivery { id, .. } => {
                    let Some(mut d) = me.store.delivery(id)? else {
                        return Err(EndpointError::Missing.into());
                    };
                    match d.endpoint() {
                        Some(e) => me.own_endpoint(e)?,
                        None => return Err(EndpointError::Missing.into()),
                    };
                    d.again(now);
                    d
                }
                Resend::Test { endpoint, .. } => {
                    let e = me.own_endpoint(endpoint)?;
                    let body = serde_json::json!({
                        "type": "endpoint.test",
                        "timestamp": now.rfc3339(),
                        "data": {"endpoint": e.id.to_string(), "team": me.team_id.to_string()},
                    })
                    .to_string();
                    let call = Call {
                        endpoint: e.id,
                        event: "endpoint.test".to_owned(),
                        body,
                    };
                    Delivery::new(Channel::Webhook(call), now)
                }
            };
            me.store.put_deliveries(std::slice::from_ref(&d))?;
            me.store.wake_courier();
            Ok(())
        })
    }
}

/// The courier's word: whether an endpoint answered its latest deliveries.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct EndpointHealth {
    pub endpoint: EndpointId,
    pub answered: bool,
}

impl Handler<EndpointHealth> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: EndpointHealth, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let mut e = me.own_endpoint(msg.endpoint)?;
            let now = me.clock.now();
            match (msg.answered, e.failing_since) {
                (true, _) => e.failing_since = None,
                (false, None) => e.failing_since = Some(now),
                (false, Some(since))
                    if e.enabled
                        && now.as_millis() - since.as_millis()
                            >= DISABLE_AFTER_DAYS * 86_400_000 =>
                {
                    e.enabled = false;
                    e.disabled_reason = Some(format!(
                        "every delivery failed since {}",
                        since.display()
                    ));
                    let text = format!(
                        "The webhook endpoint {} is disabled: every delivery to it failed for {DISABLE_AFTER_DAYS} days. Fix it, then enable it again.",
                        e.url
                    );
                    let link = format!("/teams/{}/webhooks/{}", me.team_id, e.id);
                    let notes: Vec<Notification> = me
                        .store
                        .members(me.team_id)?
                        .into_iter()
                        .filter(|m| m.role == TeamRole::Admin)
                        .map(|m| Notification::new(m.user_id, now, &text, &link))
                        .collect();
                    // Written first: the disabled endpoint is no longer among
                    // those that hear of it; the team's other endpoints are.
                    me.store.put_endpoint(&e)?;
                    let audit = me.system_audit(
                        "webhook.disabled",
                        format!("disabled webhook endpoint {}: {}", e.url, text),
                        Some(Subject::Endpoint(e.id)),
                    );
                    let changes = Changes {
                        notifications: notes,
                        ..Changes::default()
                    };
                    me.store.commit(&changes, &audit)?;
                    return Ok(());
                }
                (false, Some(_)) => return Ok(()),
            }
            me.store.put_endpoint(&e)?;
            Ok(())
        })
    }
}
