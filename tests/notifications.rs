//! Notifications: the events a person would want, to the right people, with
//! a badge, marked read one by one or all at once.

mod common;

use std::time::Duration;

use agora::clock::Clock;
use common::*;

fn texts(app: &TestApp, email: &str) -> Vec<String> {
    let user = app
        .state
        .store
        .user_by_email(&agora::domain::account::Email::parse(email).unwrap())
        .unwrap()
        .unwrap();
    app.state
        .store
        .notifications(user.id, 100)
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect()
}

/// Whether `email` has a notification containing `text` (same-millisecond
/// notifications have no order between them).
fn has(app: &TestApp, email: &str, text: &str) -> bool {
    texts(app, email).iter().any(|t| t.contains(text))
}

#[actix_web::test]
async fn decisions_reach_the_people_concerned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "manual").await;
    let prov = app
        .member(
            &admin,
            "prov@example.com",
            "Prov",
            Some((&l.provider, "developer")),
        )
        .await;
    let team = admin.create_team("Buyers").await;
    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&team, "developer")))
        .await;
    let sub = last_id(&dev.subscribe(&l.product, &l.plan, &team).await);

    // The provider hears of the request, with a badge.
    assert!(has(
        &app,
        "prov@example.com",
        "Buyers asks to subscribe to Weather – Standard"
    ));
    let home = prov.html("/").await;
    assert!(home.contains("class=\"badge unread\">1"), "{home}");
    assert!(texts(&app, "dev@example.com").is_empty());

    let approvals = format!("/provider/{}/approvals", l.provider);
    prov.submit(
        &approvals,
        &format!("/provider/{}/subscriptions/{sub}/approve", l.provider),
        &[],
    )
    .await;
    assert!(has(
        &app,
        "dev@example.com",
        "Your subscription to Weather – Standard is approved."
    ));

    // Read one, then all.
    let page = dev.html("/notifications").await;
    assert!(
        page.contains(&format!("/teams/{team}/subscriptions/{sub}")),
        "links to the subscription"
    );
    let id = ids_after(&page, "action=\"/notifications/")
        .into_iter()
        .next()
        .unwrap();
    let res = dev
        .submit("/notifications", &format!("/notifications/{id}/read"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!dev.html("/").await.contains("badge unread"));
    dev.subscribe(&l.product, &l.plan, &team).await; // refused: already live, no notification
    prov.submit(
        &approvals,
        &format!("/provider/{}/subscriptions/{sub}/end", l.provider),
        &[("reason", "Contract over"), ("confirmed", "yes")],
    )
    .await;
    assert!(has(
        &app,
        "dev@example.com",
        "The provider ended your subscription to Weather – Standard: Contract over"
    ));
    let res = dev
        .submit("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(res.status(), 303);
    expect_page(
        dev.get("/notifications").await,
        200,
        "1 notification(s) marked read.",
    )
    .await;
}

#[actix_web::test]
async fn access_and_credential_events_are_told() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "manual").await;
    let l = &c.listing;
    let dev = app
        .member(
            &admin,
            "dev@example.com",
            "Dev",
            Some((&c.team, "developer")),
        )
        .await;
    let res = dev.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    let admin_texts = texts(&app, ADMIN_EMAIL);
    assert!(
        admin_texts
            .iter()
            .any(|t| t.contains("requests access to Forecast for Mobile")),
        "{admin_texts:?}"
    );
    let access = app
        .state
        .store
        .accesses_of_app(c.application.parse().unwrap())
        .unwrap()[0]
        .id;
    let approvals = format!("/provider/{}/approvals", l.provider);
    admin
        .submit(
            &approvals,
            &format!("/provider/{}/access/{access}/approve", l.provider),
            &[],
        )
        .await;
    app.run_due().await;
    assert!(has(&app, "dev@example.com", "is approved."));

    let h = Holder {
        c,
        access: access.to_string(),
    };
    let (id, _, _) = dev.create_credential(&h, "Dev key", "api_key").await;
    app.run_due().await;
    assert!(has(
        &app,
        "dev@example.com",
        "Credential Dev key is active."
    ));

    let list = format!("/provider/{}/credentials", h.c.listing.provider);
    admin
        .submit(
            &list,
            &format!(
                "/provider/{}/credentials/{id}/suspend",
                h.c.listing.provider
            ),
            &[("reason", "Abuse detected"), ("confirmed", "yes")],
        )
        .await;
    assert!(has(
        &app,
        "dev@example.com",
        "The provider suspended credential Dev key: Abuse detected"
    ));

    // The view window closing within a day is told once, by the team's
    // actor on the scheduler's word (the scheduler's own actor sweeps).
    app.advance(Duration::from_secs(2 * 86_400 + 60));
    let scheduler = actix::Actor::start(agora::scheduler::Scheduler::new(&app.state));
    let first = scheduler
        .send(agora::scheduler::Sweep)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.notices, 1);
    agora::scheduler::sweep(&app.state).await.unwrap();
    let all = texts(&app, "dev@example.com");
    let closing: Vec<_> = all
        .iter()
        .filter(|t| t.contains("can be viewed for"))
        .collect();
    assert_eq!(closing.len(), 1, "{all:?}");
    assert!(closing[0].contains("23 hours"), "{}", closing[0]);
}

#[actix_web::test]
async fn a_long_backlog_shows_a_capped_badge_and_all_can_be_marked_read() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app
        .state
        .store
        .user_by_email(&agora::domain::account::Email::parse(ADMIN_EMAIL).unwrap())
        .unwrap()
        .unwrap();
    let now = app.clock.now();
    let note = |i: usize| agora::domain::notification::Notification {
        id: agora::domain::ids::NotificationId::generate(now),
        user: user.id,
        at: now,
        text: format!("Event {i}"),
        link: "/".into(),
        read: false,
    };
    let first: Vec<_> = (0..99).map(note).collect();
    app.state.store.notify(&first).unwrap();
    assert!(admin.html("/").await.contains("class=\"badge unread\">99<"));
    let more: Vec<_> = (99..250).map(note).collect();
    app.state.store.notify(&more).unwrap();
    let home = admin.html("/").await;
    assert!(home.contains("class=\"badge unread\">99+<"), "{home}");
    let res = admin
        .submit("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!admin.html("/").await.contains("badge unread"));
}

/// Marking a notification read is its person's alone: another person's id
/// is not found, through the API and the page, and stays unread.
#[actix_web::test]
async fn another_persons_notification_is_not_found() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    let page = admin.html("/notifications").await;
    let id = ids_after(&page, "action=\"/notifications/")
        .into_iter()
        .next()
        .expect("the admin has a notification");
    let eve = app.member(&admin, "eve@example.com", "Eve", None).await;
    let token = eve.personal_token("Probe", "read-write", None).await;
    let api = common::api::Api::new(&app.base, &token);
    let path = format!("/notifications/{id}/read");
    let (status, body) = api.post(&path, serde_json::Value::Null).await;
    assert_eq!(status, 404, "{body}");
    let res = eve.submit("/", &path, &[]).await;
    assert_eq!(res.status(), 404);
    assert!(
        admin.html("/").await.contains("badge unread"),
        "still unread for its person"
    );

    let mine = admin.personal_token("Mine", "read-write", None).await;
    let api = common::api::Api::new(&app.base, &mine);
    assert_eq!(api.post(&path, serde_json::Value::Null).await.0, 204);
    assert_eq!(
        api.post(&path, serde_json::Value::Null).await.0,
        204,
        "read again"
    );
    assert!(!admin.html("/").await.contains("badge unread"));
    app.stop().await;
}
