//! The credential's state machine and its tables.

use proptest::prelude::*;

use super::*;
use crate::domain::ids::*;

/// A credential to test with (also used by the store's tests).
pub(crate) fn credential() -> Credential {
    let t = Timestamp::from_millis(1_000);
    Credential {
        id: CredentialId::generate(t),
        team: TeamId::generate(t),
        provider: TeamId::generate(t),
        application: ApplicationId::generate(t),
        access: AccessId::generate(t),
        product: ProductId::generate(t),
        resource: ResourceId::generate(t),
        dataplane: "embedded".into(),
        kind: CredentialType::ApiKey,
        name: "ci".into(),
        key_id: KeyId::generate(),
        desired: Desired::Active,
        observed: Observed::Absent,
        secret_version: 1,
        plane_version: 0,
        secret_hash: String::new(),
        window_until: None,
        grace_until: None,
        previous_hash: None,
        created_at: t,
        renewed_at: None,
        reason: None,
        task: None,
        task_seq: 0,
        failed: false,
        last_error: None,
        agent_secret: None,
        plane_grace: false,
        own_client_id: None,
        expires_at: None,
        at_expiry: AtExpiry::Suspend,
        expired: false,
        reminded_days: None,
        next_reminder: None,
        created_by: None,
    }
}

const ACTIONS: [CredentialAction; 5] = [
    CredentialAction::Suspend,
    CredentialAction::Enable,
    CredentialAction::Renew {
        grace: Grace::None,
        lifetime: Lifetime::NONE,
    },
    CredentialAction::EndGrace,
    CredentialAction::Delete,
];

/// Every desired state × action, against the table.
#[test]
fn the_action_table() {
    use CredentialAction as A;
    use Desired as D;
    let allowed = |d: D, a: A| {
        matches!(
            (d, a),
            (D::Active, A::Suspend)
                | (D::Inactive, A::Enable)
                | (D::Active | D::Inactive, A::Renew { .. })
                | (D::Active | D::Inactive, A::Delete)
        )
    };
    for d in [D::Active, D::Inactive, D::Deleted] {
        for a in ACTIONS {
            let mut c = credential();
            c.desired = d;
            c.observed = Observed::Active;
            let before = c.secret_version;
            let r = c.act(a, Abilities::ALL, Timestamp::from_millis(2_000));
            assert_eq!(r.is_ok(), allowed(d, a), "{d:?} {a:?}");
            if r.is_err() {
                assert_eq!((c.desired, c.secret_version), (d, before));
            }
        }
    }
}

#[test]
fn the_next_step_table() {
    use CredentialOp as Op;
    let mut c = credential();
    assert_eq!(c.next_op(), Some(Op::Provision));
    assert_eq!(c.state_name(), "Pending");
    c.confirm(Op::Provision, true, 1);
    assert_eq!((c.next_op(), c.state_name()), (None, "Active"));
    c.act(
        CredentialAction::Suspend,
        Abilities::ALL,
        Timestamp::from_millis(2),
    )
    .unwrap();
    c.task = Some(TaskId::generate(Timestamp::from_millis(2)));
    assert_eq!(c.next_op(), Some(Op::Suspend));
    assert_eq!(c.state_label(), "Inactive — suspending…");
    c.confirm(Op::Suspend, false, 1);
    c.act(
        CredentialAction::Renew {
            grace: Grace::None,
            lifetime: Lifetime::NONE,
        },
        Abilities::ALL,
        Timestamp::from_millis(3),
    )
    .unwrap();
    assert_eq!(c.next_op(), Some(Op::Renew));
    c.confirm(Op::Renew, false, 2);
    assert_eq!(c.next_op(), None);
    c.act(
        CredentialAction::Delete,
        Abilities::ALL,
        Timestamp::from_millis(4),
    )
    .unwrap();
    assert_eq!(
        (c.next_op(), c.state_name()),
        (Some(Op::Deprovision), "Deleting")
    );
    c.confirm(Op::Deprovision, false, 2);
    assert!(c.is_gone());
}

#[test]
fn time_left_reads_like_a_person_would_say_it() {
    let now = Timestamp::from_millis(0);
    let at = |s: i64| Timestamp::from_millis(s * 1000);
    assert_eq!(
        time_left(now, at(3 * 86_400 - 3_600)),
        "2 days 23 hours left"
    );
    assert_eq!(
        time_left(now, at(5 * 3_600 + 12 * 60)),
        "5 hours 12 minutes left"
    );
    assert_eq!(time_left(now, at(40)), "40 seconds left");
    assert_eq!(time_left(now, at(86_400 + 3_600)), "1 day 1 hour left");
}

fn step() -> impl Strategy<Value = Option<CredentialAction>> {
    prop_oneof![
        Just(None), // the data plane answers the outstanding step
        (0..5usize).prop_map(|i| Some(ACTIONS[i])),
    ]
}

proptest! {
    /// Whatever the user does and whenever the data plane answers, the
    /// credential never reaches an illegal state, and once the data plane
    /// has answered everything it matches what the user wants.
    #[test]
    fn no_sequence_reaches_an_illegal_state(steps in proptest::collection::vec(step(), 0..40)) {
        let mut c = credential();
        let mut deleted = false;
        let mut versions = 1;
        for s in steps {
            match s {
                Some(a) => {
                    let ok = c.act(a, Abilities::ALL, Timestamp::from_millis(5)).is_ok();
                    if ok && matches!(a, CredentialAction::Renew { .. }) { versions += 1; }
                    if ok && a == CredentialAction::Delete { deleted = true; }
                    prop_assert!(!(deleted && ok && a != CredentialAction::Delete), "acted after delete");
                }
                None => if let Some(op) = c.next_op() {
                    c.confirm(op, c.desired == Desired::Active, c.secret_version);
                },
            }
            // Deleted is absorbing; removal only follows deletion; versions only grow.
            prop_assert_eq!(c.desired == Desired::Deleted, deleted);
            prop_assert!(c.observed != Observed::Removed || deleted);
            prop_assert!(c.plane_version <= c.secret_version);
            prop_assert_eq!(c.secret_version, versions);
        }
        // Let the data plane catch up.
        for _ in 0..5 {
            if let Some(op) = c.next_op() {
                c.confirm(op, c.desired == Desired::Active, c.secret_version);
            }
        }
        prop_assert_eq!(c.next_op(), None);
        match c.desired {
            Desired::Active => prop_assert_eq!(c.observed, Observed::Active),
            Desired::Inactive => prop_assert_eq!(c.observed, Observed::Inactive),
            Desired::Deleted => prop_assert!(c.is_gone()),
        }
        prop_assert!(c.desired == Desired::Deleted || c.plane_version == c.secret_version);
    }
}

#[test]
fn what_the_data_plane_cannot_do_is_refused_before_the_state_changes() {
    let mut c = credential();
    c.observed = Observed::Active;
    let none = Abilities::default();
    let now = Timestamp::from_millis(2_000);
    for (action, refusal) in [
        (
            CredentialAction::Suspend,
            CredentialError::SuspendUnsupported,
        ),
        (
            CredentialAction::Enable,
            CredentialError::SuspendUnsupported,
        ),
        (
            CredentialAction::Renew {
                grace: Grace::None,
                lifetime: Lifetime::NONE,
            },
            CredentialError::RenewUnsupported,
        ),
    ] {
        assert_eq!(c.act(action, none, now), Err(refusal));
    }
    let day = Abilities {
        max_renew_grace: std::time::Duration::from_secs(86_400),
        ..Abilities::ALL
    };
    assert_eq!(
        c.act(
            CredentialAction::Renew {
                grace: Grace::Week,
                lifetime: Lifetime::NONE
            },
            day,
            now
        ),
        Err(CredentialError::GraceTooLong)
    );
    assert_eq!((c.desired, c.secret_version), (Desired::Active, 1));
    c.act(
        CredentialAction::Renew {
            grace: Grace::Day,
            lifetime: Lifetime::NONE,
        },
        day,
        now,
    )
    .unwrap();
    assert_eq!(c.grace_until, Some(now.plus(Grace::Day.duration())));
    assert_eq!(c.act(CredentialAction::Delete, none, now), Ok(()));
}

/// What an answer shows of a credential whose record went before it was
/// read again: deleted, removed, nothing left to view or to do.
#[test]
fn a_removed_credential_reads_as_deleting_and_shows_no_secret() {
    let mut c = credential();
    c.window_until = Some(Timestamp::from_millis(9_000));
    let gone = c.removed();
    assert_eq!(gone.state_name(), "Deleting");
    assert!(gone.is_gone());
    assert!(!gone.viewable(Timestamp::from_millis(2_000)));
    assert_eq!((gone.id, gone.task), (c.id, None));
}

#[test]
fn a_leaked_secret_is_the_current_one_or_the_previous_one_only_within_its_grace() {
    let mut c = credential();
    c.secret_hash = "old".into();
    let now = Timestamp::from_millis(2_000);
    assert_eq!(c.leaked("old", now), Some(Leaked::Current));
    assert_eq!(c.leaked("guess", now), None);
    let renew = CredentialAction::Renew {
        grace: Grace::Day,
        lifetime: Lifetime::NONE,
    };
    c.act(renew, Abilities::ALL, now).unwrap();
    c.new_secret("new".into());
    assert_eq!(c.leaked("new", now), Some(Leaked::Current));
    assert_eq!(c.leaked("old", now), Some(Leaked::Previous));
    let after = now.plus(std::time::Duration::from_secs(86_400));
    assert_eq!(c.leaked("old", after), None, "the grace is over");
    // Ending the grace forgets the previous secret; so does a renewal without grace.
    c.act(CredentialAction::EndGrace, Abilities::ALL, now)
        .unwrap();
    assert_eq!(c.leaked("old", now), None);
    let no_grace = CredentialAction::Renew {
        grace: Grace::None,
        lifetime: Lifetime::NONE,
    };
    c.act(no_grace, Abilities::ALL, now).unwrap();
    c.new_secret("newer".into());
    assert_eq!(c.leaked("new", now), None);
    // A suspended credential's current secret already works nowhere.
    c.act(CredentialAction::Suspend, Abilities::ALL, now)
        .unwrap();
    assert_eq!(c.leaked("newer", now), None);
}
