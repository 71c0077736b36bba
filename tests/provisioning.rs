//! The provisioning engine: tasks written with the change that asks for them,
//! carried out on the data plane in the background, retried with backoff,
//! given up and retried by hand, resumed after a restart, never applied twice.

mod common;

use std::sync::Arc;
use std::time::Duration;

use agora::domain::access::{AccessRequest, Approval, Provisioning, TaskOp};
use agora::domain::ids::{ApplicationId, TaskId};
use agora::domain::outbox::{Task, TaskState};
use agora::store::EmbeddedChange;
use common::fake_plane::FakePlane;
use common::*;

const FAST_RETRIES: [(&str, &str); 3] = [
    ("AGORA_PROVISIONING__RETRY_BASE", "2s"),
    ("AGORA_PROVISIONING__RETRY_CAP", "60s"),
    ("AGORA_PROVISIONING__MAX_ATTEMPTS", "4"),
];

async fn with_fake() -> (TestApp, Arc<FakePlane>) {
    let fake = Arc::new(FakePlane::new("fake"));
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_planes(dir, &FAST_RETRIES, vec![fake.clone()]).await;
    (app, fake)
}

fn only_access(app: &TestApp, application: &str) -> AccessRequest {
    let id: ApplicationId = application.parse().unwrap();
    let mut all = app.state.store.accesses_of_app(id).unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[actix_web::test]
async fn automatic_access_is_provisioned_at_once() {
    let (app, fake) = with_fake().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    app.run_due().await;
    let a = only_access(&app, &c.application);
    assert_eq!(
        (a.approval, a.provisioning),
        (Approval::Approved, Provisioning::Provisioned)
    );
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "grant");
    assert_eq!(calls[0].1, format!("access:{}:1:grant", a.id));
    assert_eq!(
        app.state.store.task_count(),
        0,
        "finished work leaves the outbox"
    );
    let page = admin
        .html(&format!("/teams/{}/applications/{}", c.team, c.application))
        .await;
    assert!(page.contains("prov-provisioned"), "{page}");
}

#[actix_web::test]
async fn failures_retry_with_backoff_until_the_data_plane_answers() {
    let (app, fake) = with_fake().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    fake.fail_next(3);
    admin.request_access_for(&c).await;
    app.run_due().await;
    for attempt in 1..=3u32 {
        let a = only_access(&app, &c.application);
        assert_eq!(a.provisioning, Provisioning::Pending);
        assert_eq!(a.last_error.as_deref(), Some("fake outage"));
        let task = app.state.store.task(a.task.unwrap()).unwrap().unwrap();
        assert_eq!(task.attempts, attempt);
        // Full jitter: somewhere between now and base × 2^(attempt-1).
        let ceiling = Duration::from_secs(2 << (attempt - 1));
        let now = app.state.clock.now();
        assert!(
            task.next_at >= now && task.next_at <= now.plus(ceiling),
            "attempt {attempt}"
        );
        let page = admin
            .html(&format!("/teams/{}/applications/{}", c.team, c.application))
            .await;
        assert!(
            page.contains(&format!("attempt {attempt} failed, next at")),
            "{page}"
        );
        app.advance(ceiling);
        app.run_due().await;
    }
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Provisioned);
    assert_eq!(a.last_error, None);
    assert_eq!(fake.calls().len(), 4);
    assert_eq!(fake.effects(), 1);
}

#[actix_web::test]
async fn the_engine_gives_up_and_the_provider_retries() {
    let (app, fake) = with_fake().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    let l = &c.listing;
    fake.fail_next(100);
    admin.request_access_for(&c).await;
    app.run_due().await;
    for _ in 0..4 {
        app.advance(Duration::from_secs(60));
        app.run_due().await;
    }
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Failed);
    assert_eq!(fake.calls().len(), 4, "max_attempts = 4");
    let page = admin
        .html(&format!("/teams/{}/applications/{}", c.team, c.application))
        .await;
    assert!(
        page.contains("prov-failed") && page.contains("Data plane: fake outage"),
        "{page}"
    );
    let queue = format!("/provider/{}/provisioning", l.provider);
    let html = admin.html(&queue).await;
    assert!(html.contains("Retry provisioning: Mobile"), "{html}");
    assert!(html.contains("4 attempt(s) on fake"));

    fake.fail_next(0);
    let res = admin
        .submit(
            &queue,
            &format!("/provider/{}/access/{}/retry", l.provider, a.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    app.run_due().await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Provisioned);
    assert_eq!(a.version, 2, "the retry is a new change with its own key");
    // Retrying what did not fail is refused.
    let res = admin
        .submit(
            &queue,
            &format!("/provider/{}/access/{}/retry", l.provider, a.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    expect_page(
        admin.get(&queue).await,
        200,
        "Only failed provisioning can be retried.",
    )
    .await;
}

#[actix_web::test]
async fn a_refusal_fails_at_once() {
    let (app, fake) = with_fake().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    fake.refuse(true);
    admin.request_access_for(&c).await;
    app.run_due().await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Failed);
    assert_eq!(a.last_error.as_deref(), Some("the fake refuses this route"));
    assert_eq!(fake.calls().len(), 1);
}

#[actix_web::test]
async fn unfinished_work_resumes_after_a_restart() {
    let fake = Arc::new(FakePlane::new("fake"));
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_planes(dir, &FAST_RETRIES, vec![fake.clone()]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    fake.fail_next(1);
    admin.request_access_for(&c).await;
    app.run_due().await;
    assert_eq!(
        only_access(&app, &c.application).provisioning,
        Provisioning::Pending
    );
    let dir = app.stop().await;

    let app = spawn_with_planes(dir, &FAST_RETRIES, vec![fake.clone()]).await;
    assert_eq!(
        app.state.store.task_count(),
        1,
        "the task survived the restart"
    );
    app.advance(Duration::from_secs(60));
    app.run_due().await;
    assert_eq!(
        only_access(&app, &c.application).provisioning,
        Provisioning::Provisioned
    );
    assert_eq!(fake.effects(), 1);
}

#[actix_web::test]
async fn a_task_is_never_carried_out_twice() {
    let (app, fake) = with_fake().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    fake.fail_next(1);
    admin.request_access_for(&c).await;
    app.run_due().await;
    app.advance(Duration::from_secs(60));
    // Two runs asked for at once: they take turns, and the second finds nothing due.
    let (a, b) = futures_util::join!(app.run_due(), app.run_due());
    assert_eq!(a.attempted + b.attempted, 1);
    assert_eq!(fake.calls().len(), 2, "one failed attempt, one success");
    assert_eq!(fake.effects(), 1);
}

#[actix_web::test]
async fn the_embedded_data_plane_applies_a_repeated_delivery_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "manual").await;
    let l = &c.listing;
    admin.request_access_for(&c).await;
    let pending = only_access(&app, &c.application);
    assert_eq!(pending.approval, Approval::Pending);
    assert_eq!(
        app.state.store.task_count(),
        0,
        "nothing to do before approval"
    );
    let approvals = format!("/provider/{}/approvals", l.provider);
    admin
        .submit(
            &approvals,
            &format!("/provider/{}/access/{}/approve", l.provider, pending.id),
            &[],
        )
        .await;
    app.run_due().await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Provisioned);
    let grant = app
        .state
        .store
        .embedded_grant(c.application.parse().unwrap(), l.resource.parse().unwrap())
        .unwrap()
        .expect("granted");
    assert_eq!(grant.route, "/weather/");
    assert_eq!(grant.quota.per_minute, Some(100));

    // The same task delivered again (as after a crash between the data
    // plane's answer and its record) changes nothing.
    let now = app.state.clock.now();
    let again = Task {
        id: TaskId::generate(now),
        key: a.task_key(TaskOp::Grant),
        op: TaskOp::Grant,
        grant: grant.clone(),
        credential: None,
        dataplane: "embedded".into(),
        provider: a.provider,
        state: TaskState::Due,
        attempts: 0,
        next_at: now,
        last_error: None,
        created_at: now,
    };
    assert!(
        matches!(
            app.state.store.embedded_apply(&again).unwrap(),
            EmbeddedChange::Nothing
        ),
        "already applied"
    );
    // Even a delayed removal under an old key is not applied twice.
    let mut revoke = again.clone();
    revoke.key = format!("access:{}:0:revoke", a.id);
    revoke.op = TaskOp::Revoke;
    assert!(matches!(
        app.state.store.embedded_apply(&revoke).unwrap(),
        EmbeddedChange::Revoke(..)
    ));
    assert_eq!(app.state.store.embedded_grant_count(), 0);
    assert!(app.state.store.embedded_apply(&again).is_ok());
    assert_eq!(
        app.state.store.embedded_grant_count(),
        0,
        "the old grant key stays spent"
    );
}

#[actix_web::test]
async fn ending_a_subscription_revokes_and_removes_its_access() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    admin.request_access_for(&c).await;
    app.run_due().await;
    assert_eq!(app.state.store.embedded_grant_count(), 1);

    let sub = format!("/teams/{}/subscriptions/{}", c.team, c.subscription);
    let res = admin
        .submit(&sub, &format!("{sub}/cancel"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    let a = only_access(&app, &c.application);
    assert_eq!(a.approval, Approval::Revoked);
    // The removal was queued with the revocation and starts at once.
    assert!(matches!(
        a.provisioning,
        Provisioning::Pending | Provisioning::Removed
    ));
    app.run_due().await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Removed);
    assert_eq!(app.state.store.embedded_grant_count(), 0);
    let page = admin
        .html(&format!("/teams/{}/applications/{}", c.team, c.application))
        .await;
    assert!(
        page.contains("Reason: The subscription to Weather – Standard was cancelled."),
        "{page}"
    );
}

#[actix_web::test]
async fn archiving_an_application_removes_its_access_and_then_it_can_be_deleted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    admin.request_access_for(&c).await;
    app.run_due().await;
    let show = format!("/teams/{}/applications/{}", c.team, c.application);

    // Deleting needs archiving first; both ask for confirmation.
    let res = admin
        .submit(&show, &format!("{show}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    expect_page(
        admin.get(&show).await,
        200,
        "Archive the application before deleting it.",
    )
    .await;
    let res = admin.submit(&show, &format!("{show}/archive"), &[]).await;
    expect_page(res, 200, "Yes, archive Mobile").await;
    assert!(
        !app.state
            .store
            .application(c.application.parse().unwrap())
            .unwrap()
            .unwrap()
            .is_archived()
    );

    let res = admin
        .submit(&show, &format!("{show}/archive"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    let a = only_access(&app, &c.application);
    assert_eq!(a.approval, Approval::Revoked);
    assert_eq!(a.reason.as_deref(), Some("The application was archived."));
    app.run_due().await;
    assert_eq!(app.state.store.embedded_grant_count(), 0);
    // An archived application takes no new access.
    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 422);

    let res = admin
        .submit(&show, &format!("{show}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/teams/{}/applications", c.team));
    assert!(
        app.state
            .store
            .application(c.application.parse().unwrap())
            .unwrap()
            .is_none()
    );
    assert!(
        app.state
            .store
            .accesses_of_app(c.application.parse().unwrap())
            .unwrap()
            .is_empty()
    );
    assert_eq!(admin.get(&show).await.status(), 404);
}

#[actix_web::test]
async fn a_manual_data_plane_waits_in_the_providers_queue() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "ops", "automatic").await;
    let l = &c.listing;
    admin.request_access_for(&c).await;
    app.run_due().await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Pending);
    let page = admin
        .html(&format!("/teams/{}/applications/{}", c.team, c.application))
        .await;
    assert!(
        page.contains("waiting for the provider to set it up by hand"),
        "{page}"
    );

    let queue = format!("/provider/{}/provisioning", l.provider);
    let html = admin.html(&queue).await;
    assert!(html.contains("Mark provisioned: Mobile"), "{html}");
    // Running again does not hand it over twice.
    app.advance(Duration::from_secs(600));
    assert_eq!(app.run_due().await.attempted, 0);

    let act = |what: &str| format!("/provider/{}/access/{}/{what}", l.provider, a.id);
    let res = admin
        .submit(&queue, &act("failed"), &[("reason", "")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        only_access(&app, &c.application).provisioning,
        Provisioning::Pending
    );
    admin
        .submit(
            &queue,
            &act("failed"),
            &[("reason", "Gateway rejects the route")],
        )
        .await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Failed);
    assert_eq!(a.last_error.as_deref(), Some("Gateway rejects the route"));
    admin.submit(&queue, &act("retry"), &[]).await;
    app.run_due().await;
    assert!(
        admin
            .html(&queue)
            .await
            .contains("Mark provisioned: Mobile")
    );
    admin.submit(&queue, &act("provisioned"), &[]).await;
    let a = only_access(&app, &c.application);
    assert_eq!(a.provisioning, Provisioning::Provisioned);
    assert!(
        !admin
            .html(&queue)
            .await
            .contains("Mark provisioned: Mobile")
    );
    // Nothing waits now: marking again is refused.
    admin.submit(&queue, &act("provisioned"), &[]).await;
    expect_page(
        admin.get(&queue).await,
        200,
        "Nothing is waiting for a person",
    )
    .await;
}

/// The wiring, not the timing: with a one-second schedule, due work is done
/// without anyone asking.
#[actix_web::test]
async fn the_scheduler_runs_due_work_by_itself() {
    let fake = Arc::new(FakePlane::new("fake"));
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("AGORA_PROVISIONING__INTERVAL", "1s"),
        FAST_RETRIES[0],
        FAST_RETRIES[1],
    ];
    let app = spawn_with_planes(dir, &env, vec![fake.clone()]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "fake", "automatic").await;
    fake.fail_next(1);
    admin.request_access_for(&c).await;
    app.run_due().await;
    assert_eq!(fake.calls().len(), 1, "the first attempt failed");
    app.advance(Duration::from_secs(60));
    let started = std::time::Instant::now();
    while only_access(&app, &c.application).provisioning != Provisioning::Provisioned {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the scheduler never ran the retry"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fake.effects(), 1);
}
