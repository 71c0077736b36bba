//! The team actor's handling of a data plane's answer to a credential task,
//! without a server: success, a retry after a temporary failure, giving up,
//! a permanent refusal, a hand-over to people and a stale task.

use std::sync::Arc;
use std::time::Duration;

use super::kicker::Kicker;
use super::team::{TeamActor, TeamContext};
use crate::clock::{ManualClock, SharedClock, Timestamp};
use crate::crypto::master_key::MasterKey;
use crate::dataplane::{DataPlaneError, Outcome};
use crate::domain::access::TaskOp;
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, CredentialOp, Desired, Observed};
use crate::domain::ids::*;
use crate::domain::key_format::KeyId;
use crate::domain::outbox::{AccessGrant, Backoff, CredentialWork, Task, TaskState};
use crate::domain::resource::{CredentialType, Quota};
use crate::domain::team::{Membership, Team, TeamName, TeamRole};
use crate::gateway::Gateway;
use crate::marketplace::Marketplace;
use crate::store::{Changes, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    clock: ManualClock,
    actor: TeamActor,
    member: UserId,
    credential: Credential,
    task: Task,
}

const BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(2),
    cap: Duration::from_secs(60),
    max_attempts: 3,
};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// A team with one member and a Pending credential whose Provision task is due.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("master.key");
    let key = MasterKey::load_or_create(&key_file).unwrap();
    let store = Store::open(&dir.path().join("data"), &key, &key_file).unwrap();
    let clock = ManualClock::new(at(1_000_000));
    let shared: SharedClock = Arc::new(clock.clone());
    let now = clock_now(&clock);
    let team = Team {
        id: TeamId::generate(now),
        name: TeamName::parse("Payments").unwrap(),
        description: String::new(),
        created_at: now,
        provider: false,
    };
    let member = UserId::generate(now);
    let audit = |action: &str| AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: None,
        team: Some(team.id),
        action: action.to_owned(),
        detail: String::new(),
        subject: None,
    };
    let membership = Membership {
        team_id: team.id,
        user_id: member,
        role: TeamRole::Developer,
        since: now,
    };
    store
        .create_team(&team, &membership, &audit("team.created"))
        .unwrap();
    let credential = Credential {
        id: CredentialId::generate(now),
        team: team.id,
        provider: TeamId::generate(now),
        application: ApplicationId::generate(now),
        access: AccessId::generate(now),
        product: ProductId::generate(now),
        resource: ResourceId::generate(now),
        dataplane: "gw".into(),
        kind: CredentialType::ApiKey,
        name: "CI key".into(),
        key_id: KeyId::generate(),
        desired: Desired::Active,
        observed: Observed::Absent,
        secret_version: 1,
        plane_version: 0,
        secret_hash: "00".repeat(32),
        window_until: None,
        grace_until: None,
        previous_hash: None,
        created_at: now,
        renewed_at: None,
        reason: None,
        task: None,
        task_seq: 1,
        failed: false,
        last_error: None,
        agent_secret: None,
        plane_grace: false,
        own_client_id: None,
        expires_at: None,
        at_expiry: Default::default(),
        expired: false,
        reminded_days: None,
        next_reminder: None,
        created_by: None,
    };
    let task = Task {
        id: TaskId::generate(now),
        key: format!("credential:{}:1:provision", credential.id),
        op: TaskOp::Grant,
        grant: AccessGrant {
            access: credential.access,
            team: team.id,
            team_name: "Payments".into(),
            application: credential.application,
            application_name: "Checkout".into(),
            resource: credential.resource,
            resource_name: "Weather".into(),
            route: "/weather/".into(),
            plan_name: "Free".into(),
            quota: Quota {
                per_minute: None,
                per_day: None,
            },
            subscription: None,
            product: Some(credential.product),
            product_name: "Weather".into(),
        },
        credential: Some(CredentialWork {
            credential: credential.id,
            key_id: credential.key_id,
            kind: credential.kind,
            op: CredentialOp::Provision,
            active: true,
            secret_version: 1,
            secret_hash: credential.secret_hash.clone(),
            grace_until: None,
            sealed_secret: None,
        }),
        dataplane: "gw".into(),
        provider: credential.provider,
        state: TaskState::Due,
        attempts: 0,
        next_at: now,
        last_error: None,
        created_at: now,
    };
    let mut credential = credential;
    credential.task = Some(task.id);
    store
        .commit(
            &Changes {
                credentials: vec![&credential],
                tasks: vec![&task],
                ..Changes::default()
            },
            &audit("credential.created"),
        )
        .unwrap();
    let gateway = Arc::new(Gateway::load(&store, shared.clone(), [7; 32]).unwrap());
    let actor = TeamActor::new(
        team.id,
        TeamContext {
            store: store.clone(),
            clock: shared,
            market: Marketplace::load(&store).unwrap(),
            kicker: Kicker::default(),
            gateway,
            backoff: BACKOFF,
            reminder_days: vec![30, 14, 7, 3, 1].into(),
        },
    );
    Fixture {
        _dir: dir,
        store,
        clock,
        actor,
        member,
        credential,
        task,
    }
}

fn clock_now(clock: &ManualClock) -> Timestamp {
    use crate::clock::Clock;
    clock.now()
}

impl Fixture {
    fn stored(&self) -> Option<Credential> {
        self.store.credential(self.credential.id).unwrap()
    }

    fn stored_task(&self) -> Option<Task> {
        self.store.task(self.task.id).unwrap()
    }

    fn told(&self) -> Vec<String> {
        (self.store.notifications(self.member, 10).unwrap())
            .into_iter()
            .map(|n| n.text)
            .collect()
    }

    fn history(&self) -> Vec<String> {
        (self.store)
            .subject_audit(Subject::Credential(self.credential.id), 10)
            .unwrap()
            .into_iter()
            .map(|a| a.detail)
            .collect()
    }
}

#[test]
fn a_provision_done_makes_the_credential_active_and_tells_the_team() {
    let f = fixture();
    f.actor
        .credential_result(f.task.clone(), Ok(Outcome::Done), 0.5)
        .unwrap();
    let c = f.stored().unwrap();
    assert_eq!(
        (c.observed, c.plane_version, c.task),
        (Observed::Active, 1, None)
    );
    assert!(f.stored_task().is_none(), "the task is done and gone");
    assert_eq!(f.told(), ["Credential CI key is active."]);
    assert!(f.history()[0].starts_with("provision of credential CI key"));
}

impl Fixture {
    /// A second member of the team, and the credential marked as made by `by`.
    fn with_colleague(&self, by: Option<UserId>) -> UserId {
        let now = clock_now(&self.clock);
        let colleague = UserId::generate(now);
        let audit = AuditRecord {
            id: AuditId::generate(now),
            at: now,
            actor: None,
            team: Some(self.credential.team),
            action: "team.member_added".into(),
            detail: String::new(),
            subject: None,
        };
        let m = Membership {
            team_id: self.credential.team,
            user_id: colleague,
            role: TeamRole::Developer,
            since: now,
        };
        self.store.put_membership(&m, false, &audit).unwrap();
        let mut c = self.stored().unwrap();
        c.created_by = by;
        self.store
            .commit(
                &Changes {
                    credentials: vec![&c],
                    ..Changes::default()
                },
                &audit,
            )
            .unwrap();
        colleague
    }

    fn told_to(&self, user: UserId) -> usize {
        self.store.notifications(user, 10).unwrap().len()
    }
}

#[test]
fn active_is_told_to_the_one_who_created_it_not_the_whole_team() {
    let f = fixture();
    let colleague = f.with_colleague(Some(f.member));
    f.actor
        .credential_result(f.task.clone(), Ok(Outcome::Done), 0.5)
        .unwrap();
    assert_eq!(f.told(), ["Credential CI key is active."]);
    assert_eq!(f.told_to(colleague), 0, "a colleague who did not ask");
}

#[test]
fn active_is_told_to_the_team_when_its_creator_has_left_or_is_not_known() {
    for by in [Some(UserId::generate(Timestamp::from_millis(5))), None] {
        let f = fixture();
        let colleague = f.with_colleague(by);
        f.actor
            .credential_result(f.task.clone(), Ok(Outcome::Done), 0.5)
            .unwrap();
        assert_eq!(f.told(), ["Credential CI key is active."]);
        assert_eq!(f.told_to(colleague), 1, "{by:?}");
    }
}

#[test]
fn a_temporary_failure_waits_within_the_backoff_and_tells_nobody() {
    let f = fixture();
    let error = DataPlaneError::Temporary("connection refused".into());
    f.actor
        .credential_result(f.task.clone(), Err(error), 0.5)
        .unwrap();
    let c = f.stored().unwrap();
    assert!(!c.failed);
    assert_eq!(c.last_error.as_deref(), Some("connection refused"));
    let t = f.stored_task().unwrap();
    assert_eq!((t.state, t.attempts), (TaskState::Due, 1));
    // Half of the first ceiling (2 s).
    assert_eq!(t.next_at, clock_now(&f.clock).plus(Duration::from_secs(1)));
    assert!(f.told().is_empty());
    assert!(f.history()[0].starts_with("attempt 1 to provision credential CI key"));
}

#[test]
fn an_agent_asking_to_wait_is_not_asked_again_sooner() {
    let f = fixture();
    let error = DataPlaneError::Busy("busy".into(), Duration::from_secs(30));
    f.actor
        .credential_result(f.task.clone(), Err(error), 0.0)
        .unwrap();
    let t = f.stored_task().unwrap();
    assert_eq!(t.next_at, clock_now(&f.clock).plus(Duration::from_secs(30)));
}

#[test]
fn the_last_attempt_gives_up_shows_failed_and_tells_the_team_why() {
    let f = fixture();
    let mut task = f.task.clone();
    task.attempts = BACKOFF.max_attempts - 1;
    let error = DataPlaneError::Temporary("timed out".into());
    f.actor.credential_result(task, Err(error), 0.5).unwrap();
    let c = f.stored().unwrap();
    assert!(c.failed);
    assert_eq!(c.state_name(), "Failed");
    let t = f.stored_task().unwrap();
    assert_eq!((t.state, t.attempts), (TaskState::Failed, 3));
    assert_eq!(
        f.told(),
        ["Provisioning of credential CI key failed: timed out"]
    );
    assert!(f.history()[0].starts_with("gave up on provision of credential CI key after 3"));
}

#[test]
fn a_permanent_refusal_fails_at_once() {
    let f = fixture();
    let error = DataPlaneError::Permanent("unknown route".into());
    f.actor
        .credential_result(f.task.clone(), Err(error), 0.5)
        .unwrap();
    let t = f.stored_task().unwrap();
    assert_eq!((t.state, t.attempts), (TaskState::Failed, 1));
    assert!(f.stored().unwrap().failed);
}

#[test]
fn work_handed_to_people_waits_in_the_providers_queue() {
    let f = fixture();
    f.actor
        .credential_result(f.task.clone(), Ok(Outcome::HandedOver), 0.5)
        .unwrap();
    let t = f.stored_task().unwrap();
    assert_eq!((t.state, t.attempts), (TaskState::Waiting, 1));
    let c = f.stored().unwrap();
    assert_eq!((c.observed, c.failed), (Observed::Absent, false));
}

#[test]
fn an_answer_to_a_task_the_credential_no_longer_waits_for_is_dropped() {
    let f = fixture();
    let mut stale = f.task.clone();
    stale.id = TaskId::generate(clock_now(&f.clock));
    f.actor
        .credential_result(stale, Ok(Outcome::Done), 0.5)
        .unwrap();
    let c = f.stored().unwrap();
    assert_eq!((c.observed, c.task), (Observed::Absent, Some(f.task.id)));
    assert!(f.stored_task().is_some(), "the real task is untouched");
    assert!(f.told().is_empty());
}

impl Fixture {
    /// A second Pending credential of the team with its due Provision task.
    fn another(&self) -> (Credential, Task) {
        let now = clock_now(&self.clock);
        let mut c = self.credential.clone();
        c.id = CredentialId::generate(now);
        c.key_id = KeyId::generate();
        c.name = "second key".into();
        let mut task = self.task.clone();
        task.id = TaskId::generate(now);
        task.key = format!("credential:{}:1:provision", c.id);
        let work = task.credential.as_mut().unwrap();
        (work.credential, work.key_id) = (c.id, c.key_id);
        c.task = Some(task.id);
        let changes = Changes {
            credentials: vec![&c],
            tasks: vec![&task],
            ..Changes::default()
        };
        let audit = AuditRecord {
            id: AuditId::generate(now),
            at: now,
            actor: None,
            team: Some(c.team),
            action: "credential.created".into(),
            detail: String::new(),
            subject: None,
        };
        self.store.commit(&changes, &audit).unwrap();
        (c, task)
    }
}

/// One message with the answers of several tasks: each credential changes
/// as if answered alone, and an answer on a credential already in the batch
/// reads what the one before it wrote (here: its task is done, so the
/// repeated answer is dropped as stale).
#[actix_web::test]
async fn a_batch_of_answers_is_recorded_as_answered_one_by_one() {
    use actix::Actor;

    use super::access::{ProvisionResult, ProvisionResults};
    let f = fixture();
    let (second, second_task) = f.another();
    let answer = |task: &Task| ProvisionResult {
        task: task.id,
        result: Ok(Outcome::Done),
        jitter: 0.5,
    };
    let store = f.store.clone();
    let addr = f.actor.start();
    addr.send(ProvisionResults(vec![
        answer(&f.task),
        answer(&second_task),
        answer(&f.task),
    ]))
    .await
    .unwrap()
    .unwrap();
    for (id, task) in [(f.credential.id, &f.task), (second.id, &second_task)] {
        let c = store.credential(id).unwrap().unwrap();
        assert_eq!((c.observed, c.task), (Observed::Active, None), "{}", c.name);
        assert!(store.task(task.id).unwrap().is_none());
        let history = store.subject_audit(Subject::Credential(id), 10).unwrap();
        assert!(
            history[0]
                .detail
                .starts_with(&format!("provision of credential {}", c.name)),
            "{history:?}"
        );
    }
    let team = store.team_audit(f.credential.team, 10).unwrap();
    assert!(
        team[0].detail.starts_with("dropped stale task"),
        "{:?}",
        team.iter().map(|a| &a.detail).collect::<Vec<_>>()
    );
    assert_eq!(store.notifications(f.member, 10).unwrap().len(), 2);
}
