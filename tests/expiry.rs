//! Credentials that expire on policy: a provider sets lifetimes per plan
//! (and per resource), a consumer chooses within them, the gateway refuses
//! a credential from the instant it expires, the check suspends or removes
//! it through its data plane, reminders come once per offset, and a
//! renewal brings an expired credential back — in the pages and the API,
//! on the manual clock.

mod common;

use std::time::Duration;

use common::api::Api;
use common::*;
use serde_json::{Value, json};

const DAY: Duration = Duration::from_secs(86_400);

/// The plan's lifetime policy, saved through its edit form.
async fn set_plan_expiry(admin: &Browser, l: &Listing, max: &str, default: &str, at: &str) {
    let edit = format!(
        "/provider/{}/products/{}/plans/{}",
        l.provider, l.product, l.plan
    );
    let res = admin
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Standard"),
                ("per_minute", "100"),
                ("approval", "automatic"),
                ("resources", &l.resource),
                ("max_days", max),
                ("default_days", default),
                ("at_expiry", at),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "plan saved");
}

async fn call(app: &TestApp, key: &str) -> u16 {
    authorize(
        app,
        &[("X-API-Key", key), ("X-Original-URI", "/weather/today")],
    )
    .await
    .status()
    .as_u16()
}

async fn check(app: &TestApp) -> agora::scheduler::ExpiryReport {
    agora::scheduler::check_expiry(&app.state).await.unwrap()
}

async fn create_with_lifetime(
    admin: &Browser,
    h: &Holder,
    name: &str,
    days: &str,
) -> reqwest::Response {
    let page = h.new_credential_path();
    admin
        .submit(
            &page,
            &page,
            &[("name", name), ("kind", "api_key"), ("lifetime_days", days)],
        )
        .await
}

/// The admin signed in again: days on the manual clock end the session.
async fn again(app: &TestApp) -> Browser {
    let b = app.browser();
    let res = b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 303, "signed in");
    b
}

fn panel_of(h: &Holder, id: &str) -> String {
    format!("/teams/{}/credentials/{id}", h.c.team)
}

#[actix_web::test]
async fn a_credential_lives_as_long_as_chosen_then_is_refused_at_once_and_renewed_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    set_plan_expiry(&admin, &h.c.listing, "90", "30", "suspend").await;

    // The form says the policy; a lifetime above the maximum is refused and
    // what was typed stays.
    let page = h.new_credential_path();
    let form = admin.html(&page).await;
    assert!(
        form.contains("At most 90 days (30 by default), then suspended"),
        "{form}"
    );
    let res = create_with_lifetime(&admin, &h, "Too long", "91").await;
    let html = expect_page(res, 422, "live at most 90 days").await;
    assert!(html.contains("value=\"91\""), "kept as typed");

    // Ten days: the panel and the list show the date and the countdown.
    let res = create_with_lifetime(&admin, &h, "Ten days", "10").await;
    let shown = admin.secret_page(res).await;
    let key = input_value(&shown, "secret");
    let id = ids_after(&shown, &format!("/teams/{}/credentials/", h.c.team))
        .into_iter()
        .next()
        .unwrap();
    app.run_due().await;
    let panel = panel_of(&h, &id);
    assert!(admin.html(&panel).await.contains("(in 10 days)"));
    let list = admin
        .html(&format!(
            "/teams/{}/applications/{}",
            h.c.team, h.c.application
        ))
        .await;
    assert!(list.contains(">in 10 days<"), "{list}");
    assert_eq!(call(&app, &key).await, 200);

    // The default applies when none is chosen.
    let (other, other_key, _) = admin.create_credential(&h, "Default", "api_key").await;
    app.run_due().await;
    assert!(
        admin
            .html(&panel_of(&h, &other))
            .await
            .contains("(in 30 days)")
    );

    // From the instant of expiry the gateway refuses it, before any check.
    app.advance(10 * DAY + Duration::from_secs(1));
    assert_eq!(call(&app, &key).await, 403, "refused at the instant");
    assert_eq!(call(&app, &other_key).await, 200, "the other one lives on");
    let admin = again(&app).await;

    // The check suspends it through the data plane and tells the team.
    let report = check(&app).await;
    assert_eq!(report.expired, 1);
    assert_eq!(check(&app).await.expired, 0, "once");
    app.run_due().await;
    let html = admin.html(&panel).await;
    assert!(html.contains(">Expired<"), "{html}");
    assert!(html.contains("This credential has expired"));
    assert!(
        !html.contains("Enable credential"),
        "only a renewal brings it back"
    );
    let notes = admin.html("/notifications").await;
    assert!(
        notes.contains("Credential Ten days expired: it is suspended, renew it"),
        "{notes}"
    );
    assert_eq!(call(&app, &key).await, 403);
    // Enabling is refused in the operation too (a crafted post).
    let res = admin
        .submit(&panel, &format!("{panel}/enable"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        admin
            .html(&panel)
            .await
            .contains("renew it to use it again")
    );

    // Renewing gives a new secret and a new lifetime.
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[
                ("confirmed", "yes"),
                ("grace", "none"),
                ("lifetime_days", "20"),
            ],
        )
        .await;
    let new_key = input_value(&admin.secret_page(res).await, "secret");
    app.run_due().await;
    assert_eq!(call(&app, &new_key).await, 200);
    assert_eq!(call(&app, &key).await, 401, "the expired secret is gone");
    let html = admin.html(&panel).await;
    assert!(
        html.contains(">Active<") && html.contains("(in 20 days)"),
        "{html}"
    );
    let history = admin.html(&panel).await;
    assert!(history.contains("expired and is suspended"));
    app.stop().await;
}

#[actix_web::test]
async fn reminders_come_once_per_offset_and_fold_when_the_server_was_away() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let res = create_with_lifetime(&admin, &h, "Forty days", "40").await;
    admin.secret_page(res).await;
    app.run_due().await;
    let reminders = |html: &str| html.matches("\">Credential Forty days expires in").count();

    // Day 10: the 30-day reminder, once.
    app.advance(10 * DAY + Duration::from_secs(60));
    let admin = again(&app).await;
    assert_eq!(check(&app).await.reminded, 1);
    assert_eq!(check(&app).await.reminded, 0);
    let notes = admin.html("/notifications").await;
    assert_eq!(reminders(&notes), 1);
    assert!(notes.contains("expires in 29 days"), "{notes}");

    // Away from day 11 to day 37: one reminder (3 days), not three.
    app.advance(27 * DAY + Duration::from_secs(60));
    let admin = again(&app).await;
    assert_eq!(check(&app).await.reminded, 1);
    assert_eq!(check(&app).await.reminded, 0);
    let notes = admin.html("/notifications").await;
    assert_eq!(reminders(&notes), 2);
    assert!(notes.contains("expires in 2 days"), "{notes}");

    // Day 39: the last one; day 40: the end.
    app.advance(2 * DAY);
    assert_eq!(check(&app).await.reminded, 1);
    app.advance(DAY);
    let r = check(&app).await;
    assert_eq!((r.expired, r.reminded), (1, 0));
    app.stop().await;
}

#[actix_web::test]
async fn the_api_sets_policies_chooses_lifetimes_and_a_resource_can_deprovision() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let l = &h.c.listing;
    let provider = Api::new(
        &app.base,
        &admin
            .team_token(&l.provider, "Catalog bot", "read-write")
            .await,
    );
    let consumer = Api::new(
        &app.base,
        &admin
            .personal_token("CI", "read-write", Some(&h.c.team))
            .await,
    );

    // The plan's policy over the API; a default above the maximum is a field error.
    let plan_path = format!(
        "/teams/{}/products/{}/plans/{}",
        l.provider, l.product, l.plan
    );
    let plan = |expiry: Value| json!({"name": "Standard", "resources": [l.resource], "approval": "automatic", "expiry": expiry});
    let (status, body) = provider
        .put(
            &plan_path,
            plan(json!({"max_days": 30, "default_days": 60})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["default_days"].is_string(), "{body}");
    let (status, body) = provider
        .put(&plan_path, plan(json!({"max_days": 60, "default_days": 7})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expiry"]["max_days"], 60);
    assert_eq!(body["expiry"]["at_expiry"], "suspend");

    // A consumer's lifetime over the API, within the maximum.
    let creds = format!("/teams/{}/credentials", h.c.team);
    let new = |days: Option<u32>| json!({"application": h.c.application, "access": h.access, "name": "CI key", "kind": "api_key", "lifetime_days": days});
    let (status, body) = consumer.post(&creds, new(Some(61))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["lifetime_days"].is_string(), "{body}");
    let (status, body) = consumer.post(&creds, new(None)).await;
    assert_eq!(status, 201, "{body}");
    let expires = body["expires_at"].as_str().unwrap().to_owned();
    assert_eq!(body["at_expiry"], "suspend");
    assert!(
        expires.starts_with(&app.state.clock.now().plus(7 * DAY).rfc3339()[..10]),
        "{expires}"
    );

    // The resource overrides the plan: five days, then removed.
    let resource_path = format!(
        "/teams/{}/products/{}/resources/{}",
        l.provider, l.product, l.resource
    );
    let (status, body) = provider
        .put(
            &resource_path,
            json!({"name": "Forecast", "route": "/weather/", "dataplane": "embedded",
                "credential_types": ["api_key"], "access_approval": "automatic",
                "expiry": {"max_days": 5, "at_expiry": "deprovision"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expiry"]["default_days"], 5);
    let (status, body) = consumer.post(&creds, new(None)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["at_expiry"], "deprovision");
    let id = body["id"].as_str().unwrap().to_owned();
    let key = body["secret"].as_str().unwrap().to_owned();
    app.run_due().await;
    assert_eq!(call(&app, &key).await, 200);

    app.advance(5 * DAY + Duration::from_secs(1));
    assert_eq!(call(&app, &key).await, 403, "refused at the instant");
    assert_eq!(check(&app).await.expired, 1);
    // Expired while its removal runs (which may already be done).
    let (status, body) = consumer.get(&format!("{creds}/{id}")).await;
    assert!(
        status == 404 || body["state"] == "Expired",
        "{status} {body}"
    );
    app.run_due().await;
    let (status, _) = consumer.get(&format!("{creds}/{id}")).await;
    assert_eq!(status, 404, "removed from the data plane and deleted");
    assert_eq!(call(&app, &key).await, 401);

    // Renewing with a lifetime over the API.
    let (status, body) = consumer.post(&creds, new(Some(3))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    app.run_due().await;
    let (status, body) = consumer
        .post(
            &format!("{creds}/{id}/renew"),
            json!({"grace": "none", "lifetime_days": 9}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = consumer
        .post(
            &format!("{creds}/{id}/renew"),
            json!({"grace": "none", "lifetime_days": 4}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&app.state.clock.now().plus(4 * DAY).rfc3339()[..10])
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_expiry_index_finds_only_what_is_due_and_forgets_deleted_ones() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    set_plan_expiry(&admin, &h.c.listing, "", "", "suspend").await;
    let mut ids = Vec::new();
    for (i, days) in ["2", "4", ""].iter().enumerate() {
        let res = create_with_lifetime(&admin, &h, &format!("k{i}"), days).await;
        let html = admin.secret_page(res).await;
        ids.push(
            ids_after(&html, &format!("/teams/{}/credentials/", h.c.team))
                .into_iter()
                .next()
                .unwrap(),
        );
    }
    app.run_due().await;
    let now = app.state.clock.now();
    assert!(
        app.state
            .store
            .due_expiries(now.plus(DAY), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.state
            .store
            .due_expiries(now.plus(3 * DAY), 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.state
            .store
            .due_expiries(now.plus(3650 * DAY), 10)
            .unwrap()
            .len(),
        2
    );
    // Deleting the 4-day one takes it out of the index.
    let panel = panel_of(&h, &ids[1]);
    admin
        .submit(&panel, &format!("{panel}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(
        app.state
            .store
            .due_expiries(now.plus(3650 * DAY), 10)
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}
