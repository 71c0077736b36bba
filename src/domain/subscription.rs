//! Subscriptions: a team's subscription to one usage plan of a product, and
//! the only transitions it may take:
//! requested → active | rejected; active → cancelled. Nothing else.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::ids::{PlanId, ProductId, SubscriptionId, TeamId, UserId};
use super::resource::Approval;
use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    Requested,
    Active,
    Rejected,
    Cancelled,
}

impl SubscriptionState {
    pub const ALL: [SubscriptionState; 4] = [
        SubscriptionState::Requested,
        SubscriptionState::Active,
        SubscriptionState::Rejected,
        SubscriptionState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Requested => "requested",
            SubscriptionState::Active => "active",
            SubscriptionState::Rejected => "rejected",
            SubscriptionState::Cancelled => "cancelled",
        }
    }

    /// A live subscription blocks a second one for the same team and plan.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            SubscriptionState::Requested | SubscriptionState::Active
        )
    }

    /// The state a new subscription starts in under the plan's approval mode.
    pub fn initial(approval: Approval) -> Self {
        match approval {
            Approval::Automatic => SubscriptionState::Active,
            Approval::Manual => SubscriptionState::Requested,
        }
    }
}

impl fmt::Display for SubscriptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acts on a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Consumer,
    Provider,
}

/// A reason given for rejecting or ending a subscription; the consumer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(FieldError::new(
                "reason",
                "Give a reason: the team sees it.",
            ));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "reason",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionEvent {
    /// The provider approves a request.
    Approve,
    /// The provider rejects a request, saying why.
    Reject(Reason),
    /// The consumer cancels (reason optional) or the provider ends it (reason required).
    Cancel { by: Party, reason: Option<Reason> },
}

impl SubscriptionEvent {
    pub fn party(&self) -> Party {
        match self {
            SubscriptionEvent::Approve | SubscriptionEvent::Reject(_) => Party::Provider,
            SubscriptionEvent::Cancel { by, .. } => *by,
        }
    }

    fn verb(&self) -> &'static str {
        match self {
            SubscriptionEvent::Approve => "approved",
            SubscriptionEvent::Reject(_) => "rejected",
            SubscriptionEvent::Cancel { .. } => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("This subscription is {from}: it cannot be {verb}.")]
    NotAllowed {
        from: SubscriptionState,
        verb: &'static str,
    },
    #[error("The provider gives a reason when ending a subscription.")]
    ReasonRequired,
}

/// The whole state machine: the next state, or why the event is refused.
pub fn next_state(
    from: SubscriptionState,
    event: &SubscriptionEvent,
) -> Result<SubscriptionState, TransitionError> {
    use SubscriptionEvent as E;
    use SubscriptionState as S;
    match (from, event) {
        (S::Requested, E::Approve) => Ok(S::Active),
        (S::Requested, E::Reject(_)) => Ok(S::Rejected),
        (
            S::Active,
            E::Cancel {
                by: Party::Provider,
                reason: None,
            },
        ) => Err(TransitionError::ReasonRequired),
        (S::Active, E::Cancel { .. }) => Ok(S::Cancelled),
        (from, event) => Err(TransitionError::NotAllowed {
            from,
            verb: event.verb(),
        }),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscription {
    pub id: SubscriptionId,
    /// The consumer team.
    pub team: TeamId,
    /// The provider team that owns the product.
    pub provider: TeamId,
    pub product: ProductId,
    pub plan: PlanId,
    pub state: SubscriptionState,
    pub requested_by: UserId,
    pub created_at: Timestamp,
    /// When the provider approved or rejected it (or it was approved automatically).
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    /// Why it was rejected or ended.
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default)]
    pub ended_by: Option<Party>,
}

impl Subscription {
    /// Applies an event; on refusal the subscription is left as it was.
    pub fn apply(
        &mut self,
        event: &SubscriptionEvent,
        now: Timestamp,
    ) -> Result<(), TransitionError> {
        let next = next_state(self.state, event)?;
        match event {
            SubscriptionEvent::Approve => self.decided_at = Some(now),
            SubscriptionEvent::Reject(reason) => {
                self.decided_at = Some(now);
                self.reason = Some(reason.clone());
            }
            SubscriptionEvent::Cancel { by, reason } => {
                self.ended_at = Some(now);
                self.ended_by = Some(*by);
                self.reason = reason.clone();
            }
        }
        self.state = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use SubscriptionState as S;

    fn reason() -> Reason {
        Reason::parse("not now").unwrap()
    }

    fn subscription(state: S) -> Subscription {
        let t = Timestamp::from_millis(1_000);
        Subscription {
            id: SubscriptionId::generate(t),
            team: TeamId::generate(t),
            provider: TeamId::generate(t),
            product: ProductId::generate(t),
            plan: PlanId::generate(t),
            state,
            requested_by: UserId::generate(t),
            created_at: t,
            decided_at: None,
            ended_at: None,
            reason: None,
            ended_by: None,
        }
    }

    #[test]
    fn the_allowed_transitions() {
        let cancel = |by, reason| SubscriptionEvent::Cancel { by, reason };
        use SubscriptionEvent::*;
        assert_eq!(next_state(S::Requested, &Approve), Ok(S::Active));
        assert_eq!(next_state(S::Requested, &Reject(reason())), Ok(S::Rejected));
        assert_eq!(
            next_state(S::Active, &cancel(Party::Consumer, None)),
            Ok(S::Cancelled)
        );
        assert_eq!(
            next_state(S::Active, &cancel(Party::Provider, Some(reason()))),
            Ok(S::Cancelled)
        );
        assert_eq!(
            next_state(S::Active, &cancel(Party::Provider, None)),
            Err(TransitionError::ReasonRequired)
        );
        assert!(next_state(S::Requested, &cancel(Party::Consumer, None)).is_err());
        assert!(next_state(S::Active, &Approve).is_err());
        assert!(next_state(S::Rejected, &Approve).is_err());
    }

    #[test]
    fn initial_state_follows_the_plan() {
        assert_eq!(S::initial(Approval::Automatic), S::Active);
        assert_eq!(S::initial(Approval::Manual), S::Requested);
        assert!(S::Requested.is_live() && S::Active.is_live());
        assert!(!S::Rejected.is_live() && !S::Cancelled.is_live());
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert!(Reason::parse("  ").is_err());
        assert!(Reason::parse(&"x".repeat(501)).is_err());
        assert_eq!(Reason::parse(" too \n busy ").unwrap().as_str(), "too busy");
    }

    fn any_event() -> impl Strategy<Value = SubscriptionEvent> {
        let party = prop_oneof![Just(Party::Consumer), Just(Party::Provider)];
        prop_oneof![
            Just(SubscriptionEvent::Approve),
            Just(SubscriptionEvent::Reject(reason())),
            (party, any::<bool>()).prop_map(|(by, give)| SubscriptionEvent::Cancel {
                by,
                reason: give.then(reason),
            }),
        ]
    }

    fn any_state() -> impl Strategy<Value = S> {
        prop_oneof![
            Just(S::Requested),
            Just(S::Active),
            Just(S::Rejected),
            Just(S::Cancelled)
        ]
    }

    proptest! {
        /// Whatever happens to a subscription, it only ever walks the allowed
        /// paths, a refused event changes nothing, and an ended one stays ended.
        #[test]
        fn only_the_allowed_paths_are_walked(
            start in prop_oneof![Just(S::Requested), Just(S::Active)],
            events in proptest::collection::vec(any_event(), 0..12),
        ) {
            let mut sub = subscription(start);
            let mut path = vec![start];
            for (i, event) in events.iter().enumerate() {
                let before = sub.clone();
                match sub.apply(event, Timestamp::from_millis(2_000 + i as i64)) {
                    Ok(()) => path.push(sub.state),
                    Err(_) => {
                        prop_assert_eq!(sub.state, before.state);
                        prop_assert_eq!(&sub.reason, &before.reason);
                        prop_assert_eq!(sub.decided_at, before.decided_at);
                        prop_assert_eq!(sub.ended_at, before.ended_at);
                    }
                }
            }
            let allowed: &[&[S]] = &[
                &[S::Requested],
                &[S::Requested, S::Active],
                &[S::Requested, S::Rejected],
                &[S::Requested, S::Active, S::Cancelled],
                &[S::Active],
                &[S::Active, S::Cancelled],
            ];
            prop_assert!(allowed.contains(&path.as_slice()), "walked {:?}", path);
            if matches!(sub.state, S::Rejected) || (sub.state == S::Cancelled && sub.ended_by == Some(Party::Provider)) {
                prop_assert!(sub.reason.is_some());
            }
        }

        /// From any state, an event is accepted exactly when the table allows it.
        #[test]
        fn acceptance_matches_the_table(from in any_state(), event in any_event()) {
            let accepted = next_state(from, &event).is_ok();
            let expected = match (&from, &event) {
                (S::Requested, SubscriptionEvent::Approve | SubscriptionEvent::Reject(_)) => true,
                (S::Active, SubscriptionEvent::Cancel { by: Party::Consumer, .. }) => true,
                (S::Active, SubscriptionEvent::Cancel { by: Party::Provider, reason }) => reason.is_some(),
                _ => false,
            };
            prop_assert_eq!(accepted, expected);
        }
    }
}
