//! Subscriptions, indexed by consumer team and by provider team.
//! `subscription_live` holds one key per team × plan while a subscription is
//! requested or active: the rule "one live subscription per team and plan"
//! is kept inside the same transaction as the write.

use super::codec::{decode, encode};
use super::work::Changes;
use super::{Conflict, Store, StoreError, abort, key};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{PlanId, SubscriptionId, TeamId};
use crate::domain::subscription::Subscription;

fn live_key(team: TeamId, plan: PlanId) -> [u8; 32] {
    key::<32>(&[&team.to_bytes(), &plan.to_bytes()])
}

tx_trees! {
    /// The trees a new subscription writes.
    NewSubscription {
        subscription,
        subscription_by_team,
        subscription_by_provider,
        subscription_live,
        delivery,
        delivery_due,
        delivery_by_endpoint,
    }
}

impl Store {
    pub fn create_subscription(
        &self,
        sub: &Subscription,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let value = encode(sub)?;
        let id = sub.id.to_bytes();
        let live = live_key(sub.team, sub.plan);
        // Its event, as for every other change (`commit_all`).
        let told = Changes {
            subscription: Some(sub),
            ..Changes::default()
        };
        let deliveries = self.events_for(&told, std::slice::from_ref(audit))?;
        let written = self.audited(&NewSubscription::trees(self), audit, |t| {
            let v = NewSubscription::of(t);
            for d in &deliveries {
                super::deliveries::put_in(v.delivery, v.delivery_due, v.delivery_by_endpoint, d)?;
            }
            let (subs, by_team, by_provider, lives) = (
                v.subscription,
                v.subscription_by_team,
                v.subscription_by_provider,
                v.subscription_live,
            );
            if lives.get(&live[..])?.is_some() {
                return abort(Conflict::AlreadySubscribed);
            }
            if sub.state.is_live() {
                lives.insert(&live[..], &id[..])?;
            }
            subs.insert(&id[..], value.clone())?;
            by_team.insert(&key::<32>(&[&sub.team.to_bytes(), &id])[..], &[])?;
            by_provider.insert(&key::<32>(&[&sub.provider.to_bytes(), &id])[..], &[])?;
            Ok(())
        });
        if written.is_ok() && !deliveries.is_empty() {
            self.deliveries_written.notify_one();
        }
        written
    }

    pub fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.subscription
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// The team's live subscription to a plan, if any.
    pub fn live_subscription(
        &self,
        team: TeamId,
        plan: PlanId,
    ) -> Result<Option<Subscription>, StoreError> {
        match self.subscription_live.get(live_key(team, plan))? {
            Some(id) => match SubscriptionId::from_bytes(&id) {
                Some(id) => self.subscription(id),
                None => Err(StoreError::Corrupt("subscription_live value".to_owned())),
            },
            None => Ok(None),
        }
    }

    fn subscriptions_in(
        &self,
        index: &sled::Tree,
        team: TeamId,
    ) -> Result<Vec<Subscription>, StoreError> {
        let mut out = Vec::new();
        for k in index.scan_prefix(team.to_bytes()).keys().rev() {
            let k = k?;
            if let Some(id) = SubscriptionId::from_bytes(&k[16..]) {
                out.extend(self.subscription(id)?);
            }
        }
        Ok(out)
    }

    /// A consumer team's subscriptions, newest first.
    pub fn subscriptions_of_team(&self, team: TeamId) -> Result<Vec<Subscription>, StoreError> {
        self.subscriptions_in(&self.subscription_by_team, team)
    }

    /// The subscriptions to a provider team's products, newest first.
    pub fn subscriptions_of_provider(
        &self,
        provider: TeamId,
    ) -> Result<Vec<Subscription>, StoreError> {
        self.subscriptions_in(&self.subscription_by_provider, provider)
    }
}
