//! Subscriptions are written by the consumer team's actor, also when the
//! provider approves, rejects or ends one: two clicks on one subscription are
//! applied one after the other.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor, TeamCommandError};
use crate::domain::audit::Subject;
use crate::domain::ids::{PlanId, ProductId, SubscriptionId, TeamId, UserId};
use crate::domain::product::CatalogError;
use crate::domain::subscription::{Party, Subscription, SubscriptionEvent, SubscriptionState};
use crate::store::{Changes, Conflict};

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct Subscribe {
    pub id: SubscriptionId,
    pub product: ProductId,
    pub plan: PlanId,
    pub actor: UserId,
}

impl Handler<Subscribe> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let product = match me.store.product(msg.product)? {
                Some(p) if p.is_published() => p,
                Some(_) => return Err(CatalogError::NotPublished.into()),
                None => return Err(CatalogError::Missing.into()),
            };
            let Some(plan) = me.store.plan(msg.product, msg.plan)? else {
                return Err(CatalogError::Missing.into());
            };
            if me.store.live_subscription(me.team_id, plan.id)?.is_some() {
                return Err(TeamCommandError::Conflict(Conflict::AlreadySubscribed));
            }
            let now = me.clock.now();
            let state = SubscriptionState::initial(plan.spec.approval);
            let sub = Subscription {
                id: msg.id,
                team: me.team_id,
                provider: product.provider,
                product: product.id,
                plan: plan.id,
                state,
                requested_by: msg.actor,
                created_at: now,
                decided_at: (state == SubscriptionState::Active).then_some(now),
                ended_at: None,
                reason: None,
                ended_by: None,
            };
            let what = format!("{} – {}", product.details.name, plan.spec.name);
            let detail = match state {
                SubscriptionState::Active => {
                    format!("subscribed to {what}; active at once (automatic approval)")
                }
                _ => format!("requested a subscription to {what}; the provider decides"),
            };
            let audit = me.audit_about(
                msg.actor,
                "subscription.requested",
                detail,
                Some(Subject::Subscription(sub.id)),
            );
            me.store.create_subscription(&sub, &audit)?;
            if state == SubscriptionState::Requested {
                let team = me
                    .store
                    .team(me.team_id)?
                    .map(|t| t.name.to_string())
                    .unwrap_or_default();
                let notes = me.notify(
                    sub.provider,
                    format!("{team} asks to subscribe to {what}: it awaits your approval."),
                    format!("/provider/{}/approvals", sub.provider),
                )?;
                me.store.notify(&notes)?;
            }
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct ChangeSubscription {
    pub id: SubscriptionId,
    pub event: SubscriptionEvent,
    pub actor: UserId,
    /// The provider team acting, or `None` when the consumer team acts.
    pub provider: Option<TeamId>,
}

impl Handler<ChangeSubscription> for TeamActor {
    type Result = CommandResult;
    fn handle(&mut self, msg: ChangeSubscription, _: &mut Context<Self>) -> CommandResult {
        self.commit_now(|me| {
            let mut sub = match me.store.subscription(msg.id)? {
                Some(s) if s.team == me.team_id => s,
                _ => return Err(CatalogError::Missing.into()),
            };
            let allowed = match (msg.provider, msg.event.party()) {
                (Some(p), Party::Provider) => p == sub.provider,
                (None, Party::Consumer) => true,
                _ => false,
            };
            if !allowed {
                return Err(CatalogError::Missing.into());
            }
            sub.apply(&msg.event, me.clock.now())?;
            let what = match (
                me.store.product(sub.product)?,
                me.store.plan(sub.product, sub.plan)?,
            ) {
                (Some(p), Some(plan)) => format!("{} – {}", p.details.name, plan.spec.name),
                _ => "a removed plan".to_owned(),
            };
            let (action, detail) = match &msg.event {
                SubscriptionEvent::Approve => (
                    "subscription.approved",
                    format!("approved the subscription to {what}"),
                ),
                SubscriptionEvent::Reject(r) => (
                    "subscription.rejected",
                    format!("rejected the subscription to {what}: {}", r.as_str()),
                ),
                SubscriptionEvent::Cancel { by, reason } => {
                    let verb = match by {
                        Party::Consumer => "cancelled",
                        Party::Provider => "ended",
                    };
                    let why = reason
                        .as_ref()
                        .map(|r| format!(": {}", r.as_str()))
                        .unwrap_or_default();
                    (
                        "subscription.cancelled",
                        format!("{verb} the subscription to {what}{why}"),
                    )
                }
            };
            // Access granted through a subscription that ended is revoked with it.
            let revoked = if sub.state.is_live() {
                Default::default()
            } else {
                let why = match &msg.event {
                    SubscriptionEvent::Cancel {
                        by: Party::Provider,
                        reason,
                    } => format!(
                        "The provider ended the subscription to {what}{}",
                        reason
                            .as_ref()
                            .map(|r| format!(": {}", r.as_str()))
                            .unwrap_or_default()
                    ),
                    SubscriptionEvent::Reject(_) => {
                        format!("The subscription to {what} was rejected.")
                    }
                    _ => format!("The subscription to {what} was cancelled."),
                };
                me.revoke_all(me.store.accesses_of_subscription(sub.id)?, &why)?
            };
            let audit = me.audit_about(
                msg.actor,
                action,
                detail,
                Some(Subject::Subscription(sub.id)),
            );
            let link = format!("/teams/{}/subscriptions/{}", me.team_id, sub.id);
            let mut notes = Vec::new();
            if msg.provider.is_some() {
                let text = match &msg.event {
                    SubscriptionEvent::Approve => {
                        format!("Your subscription to {what} is approved.")
                    }
                    SubscriptionEvent::Reject(r) => {
                        format!("Your subscription to {what} was rejected: {}", r.as_str())
                    }
                    SubscriptionEvent::Cancel { reason, .. } => format!(
                        "The provider ended your subscription to {what}{}",
                        reason
                            .as_ref()
                            .map(|r| format!(": {}", r.as_str()))
                            .unwrap_or_default()
                    ),
                };
                notes.extend(me.notify(me.team_id, text, link.clone())?);
            }
            if !revoked.accesses.is_empty() {
                notes.extend(me.notify(
                    me.team_id,
                    format!(
                        "Access of {} request(s) through {what} was revoked, with its credentials.",
                        revoked.accesses.len()
                    ),
                    link,
                )?);
            }
            let changes = Changes {
                subscription: Some(&sub),
                notifications: notes,
                ..revoked.changes()
            };
            me.store.commit_all(&changes, &revoked.audits(me, audit))?;
            revoked.announce(&me.gateway);
            Ok(())
        })?;
        self.kicker.kick();
        Ok(())
    }
}
