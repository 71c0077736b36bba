//! Usage: the calls `/gateway/authorize` decides are counted per
//! credential, secret version and minute, written by the usage job into
//! minute, hour and day buckets, and kept for their configured time.
//! Driven by the manual clock: no test waits.

mod common;

use std::time::Duration;

use agora::clock::Clock;
use agora::domain::usage::{Granularity, Outcome};
use agora::store::UsageOf;
use common::api::Api;
use common::*;
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

async fn call(app: &TestApp, key: &str, uri: &str) -> u16 {
    authorize(app, &[("X-API-Key", key), ("X-Original-URI", uri)])
        .await
        .status()
        .as_u16()
}

#[actix_web::test]
async fn calls_through_the_gateway_are_counted_by_outcome_and_minute() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "Counted", "api_key").await;
    app.run_due().await;
    let start = app.clock.now();

    for _ in 0..5 {
        assert_eq!(call(&app, &key, "/weather/today").await, 200);
    }
    for _ in 0..2 {
        assert_eq!(call(&app, &key, "/other/").await, 403);
    }
    app.advance(MINUTE);
    let api = Api::new(
        &app.base,
        &admin.personal_token("Usage", "read-write", None).await,
    );
    let (status, _) = api
        .post(
            &format!("/teams/{}/credentials/{id}/suspend", h.c.team),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    for _ in 0..3 {
        assert_eq!(call(&app, &key, "/weather/today").await, 403);
    }
    // Nothing is in storage until the usage job writes it.
    let team = h.c.team.parse().unwrap();
    let of = UsageOf::Team(team);
    let end = app.clock.now().plus(MINUTE);
    let stored = |g| app.state.store.usage(of, g, start, end).unwrap();
    assert!(stored(Granularity::Minute).is_empty());
    let written = agora::ops::usage::write(&app.state).await.unwrap();
    assert_eq!(written, 2, "two minutes of one credential and version");

    let minutes = stored(Granularity::Minute);
    assert_eq!(minutes.len(), 2, "{minutes:?}");
    let (first, second) = (&minutes[0].counts, &minutes[1].counts);
    assert_eq!(first.get(Outcome::Allowed), 5);
    assert_eq!(
        first.get(Outcome::NoAccess) + first.get(Outcome::WrongResource),
        2
    );
    assert_eq!(second.get(Outcome::Suspended), 3);
    assert_eq!(second.allowed(), 0);
    for g in [Granularity::Hour, Granularity::Day] {
        let rows = stored(g);
        assert_eq!(rows.len(), 1, "{g:?}: one bucket adds both minutes");
        assert_eq!((rows[0].counts.allowed(), rows[0].counts.refused()), (5, 5));
    }

    // The credential's own view: the hour's bucket, and its secret version.
    let c = app
        .state
        .store
        .credential(id.parse().unwrap())
        .unwrap()
        .unwrap();
    let usage = agora::ops::usage::of_credential(&app.state, &c).unwrap();
    assert_eq!(usage.hourly.points.len(), 24);
    assert_eq!(usage.daily.points.len(), 30);
    assert_eq!(usage.hourly.total().allowed(), 5);
    assert_eq!(usage.daily.total().get(Outcome::Suspended), 3);
    assert_eq!(usage.versions.len(), 1);
    assert_eq!(usage.versions[0].version, c.secret_version);
    assert_eq!(usage.versions[0].last_hour.total(), 10);
    assert_eq!(usage.last_used, Some(start));

    // /metrics counts them per data plane and outcome, never per credential.
    let metrics = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("agora_gateway_calls_total{dataplane=\"embedded\",outcome=\"allowed\"} 5"),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("agora_gateway_calls_total{dataplane=\"embedded\",outcome=\"suspended\"} 3")
    );
    assert!(!metrics.contains(&id), "no series names a credential");

    // The API answers the same figures.
    let (status, body) = api
        .get(&format!("/teams/{}/credentials/{id}/usage", h.c.team))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["time_zone"], "UTC");
    let sum = |series: &str, field: &str| -> u64 {
        body[series]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!((sum("hourly", "allowed"), sum("hourly", "refused")), (5, 5));
    assert_eq!((sum("daily", "allowed"), sum("daily", "refused")), (5, 5));
    assert_eq!(body["versions"][0]["current"], true);
    assert_eq!(
        body["versions"][0]["last_hour"]["refused_by"]["suspended"],
        3
    );
    assert_eq!(body["last_used"], start.rfc3339());

    // A second write adds to the same buckets instead of replacing them.
    assert_eq!(call(&app, &key, "/weather/today").await, 403);
    agora::ops::usage::write(&app.state).await.unwrap();
    let rows = stored(Granularity::Hour);
    assert_eq!(rows[0].counts.get(Outcome::Suspended), 4);
}

#[actix_web::test]
async fn each_size_of_bucket_is_kept_for_its_time_and_then_removed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Kept", "api_key").await;
    app.run_due().await;
    let start = app.clock.now();
    assert_eq!(call(&app, &key, "/weather/today").await, 200);
    agora::ops::usage::write(&app.state).await.unwrap();
    let of = UsageOf::Team(h.c.team.parse().unwrap());
    let rows = |g: Granularity| {
        let end = app.clock.now().plus(Duration::from_secs(86_400));
        app.state.store.usage(of, g, start, end).unwrap().len()
    };
    let sweep = || agora::ops::usage::sweep(&app.state, app.clock.now()).unwrap();
    assert_eq!(sweep(), 0, "nothing is old yet");

    app.advance(Duration::from_secs(47 * 3_600));
    assert_eq!(sweep(), 0, "minutes are kept 48 hours");
    app.advance(Duration::from_secs(2 * 3_600));
    assert_eq!(
        sweep(),
        2,
        "the minute row, for the credential and its resource"
    );
    assert_eq!((rows(Granularity::Minute), rows(Granularity::Hour)), (0, 1));
    app.advance(Duration::from_secs(90 * 86_400));
    assert_eq!(sweep(), 2, "the hour row goes after 90 days");
    assert_eq!((rows(Granularity::Hour), rows(Granularity::Day)), (0, 1));
    app.advance(Duration::from_secs(640 * 86_400));
    assert_eq!(sweep(), 2, "the day row goes after two years");
    assert_eq!(rows(Granularity::Day), 0);
}

#[actix_web::test]
async fn after_a_renewal_each_secret_version_has_its_own_count() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, old_key, _) = admin.create_credential(&h, "Rotated", "api_key").await;
    app.run_due().await;
    let api = Api::new(
        &app.base,
        &admin.personal_token("Usage", "read-write", None).await,
    );
    let (status, renewed) = api
        .post(
            &format!("/teams/{}/credentials/{id}/renew", h.c.team),
            json!({"grace": "1h"}),
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    let new_key = renewed["secret"].as_str().unwrap().to_owned();
    app.run_due().await;
    for _ in 0..3 {
        assert_eq!(call(&app, &old_key, "/weather/today").await, 200);
    }
    assert_eq!(call(&app, &new_key, "/weather/today").await, 200);
    // After the grace, the old secret is refused, and counted as such.
    app.advance(Duration::from_secs(3_601));
    assert_eq!(call(&app, &old_key, "/weather/today").await, 401);
    agora::ops::usage::write(&app.state).await.unwrap();

    let c = app
        .state
        .store
        .credential(id.parse().unwrap())
        .unwrap()
        .unwrap();
    let usage = agora::ops::usage::of_credential(&app.state, &c).unwrap();
    let version = |v: u32| {
        usage
            .versions
            .iter()
            .find(|u| u.version == v)
            .unwrap_or_else(|| panic!("version {v}: {:?}", usage.versions))
    };
    assert_eq!(c.secret_version, 2);
    assert_eq!(
        version(1).last_day.allowed(),
        3,
        "the previous secret's calls"
    );
    assert_eq!(version(2).last_day.allowed(), 1);
    assert_eq!(
        version(2).last_day.get(Outcome::UnknownKey),
        1,
        "a retired secret is refused as unknown, counted under the current version"
    );
    assert!(version(1).last_used.is_some());
}

#[actix_web::test]
async fn the_credential_page_charts_its_calls_with_a_table_and_a_csv() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "Charted", "api_key").await;
    app.run_due().await;
    for _ in 0..4 {
        assert_eq!(call(&app, &key, "/weather/today").await, 200);
    }
    assert_eq!(call(&app, &key, "/other/").await, 403);
    agora::ops::usage::write(&app.state).await.unwrap();

    let page = format!("/teams/{}/credentials/{id}", h.c.team);
    let html = admin.html(&page).await;
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(html.contains("Calls per hour, last 24 hours"));
    assert!(html.contains("Calls per day, last 30 days"));
    assert!(html.contains(">hour (UTC)<") && html.contains(">calls per hour<"));
    assert!(html.contains("5 in all"), "the chart's description sums it");
    assert!(
        html.contains("<th scope=\"col\">Unknown resource</th>"),
        "a column per reason seen"
    );
    assert!(html.contains("Current secret (version 1)"));
    // The table view has the figures: the hour with 5 calls, 4 allowed.
    let hour = app.clock.now().rfc3339();
    let hour = format!("{}:00 UTC", &hour[..13].replace('T', " "));
    assert!(
        html.contains(&format!(
            "<th scope=\"row\">{hour}</th><td>5</td><td>4</td><td>1</td>"
        )),
        "{hour} in {html}"
    );

    let res = admin.get(&format!("{page}/usage.csv?period=hourly")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "start_utc,all,allowed,unknown_key,suspended,expired,no_access,wrong_resource,quota_spent"
    );
    assert_eq!(lines.count(), 24);
    assert!(csv.contains(",5,4,0,0,0,0,1,0\n"), "{csv}");
    let res = admin.get(&format!("{page}/usage.csv?period=yearly")).await;
    assert_eq!(res.status(), 404);
}

#[actix_web::test]
async fn the_team_usage_page_ranks_by_calls_and_lists_what_nobody_used_for_30_days() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, busy, _) = admin.create_credential(&h, "Busy key", "api_key").await;
    let (quiet_id, quiet, _) = admin.create_credential(&h, "Quiet key", "api_key").await;
    let (never_id, _, _) = admin.create_credential(&h, "Never used", "api_key").await;
    app.run_due().await;
    assert_eq!(call(&app, &quiet, "/weather/today").await, 200);
    agora::ops::usage::write(&app.state).await.unwrap();
    // 31 days later: the busy key is called, the others are not.
    app.advance(Duration::from_secs(31 * 86_400));
    for _ in 0..3 {
        assert_eq!(call(&app, &busy, "/weather/today").await, 200);
    }
    agora::ops::usage::write(&app.state).await.unwrap();
    // A month later the session has ended: sign in again.
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let team = format!("/teams/{}", h.c.team);
    assert!(
        admin
            .html(&team)
            .await
            .contains(&format!("href=\"{team}/usage\""))
    );
    let html = admin.html(&format!("{team}/usage")).await;
    assert!(
        html.contains("The team's calls per day, last 30 days"),
        "{html}"
    );
    // Ranked: the busy key first, with its 3 calls.
    let ranked = &html[html.find("Credentials by calls").unwrap()..];
    let busy_at = ranked.find(">Busy key<").unwrap();
    assert!(busy_at < ranked.find(">Quiet key<").unwrap(), "{ranked}");
    assert!(ranked[busy_at..].contains("<td>3</td>"));
    // Unused for 30 days: the quiet key (last used 31 days ago) and the
    // never-used one (created 31 days ago), each with Suspend and Delete.
    let idle = &html
        [html.find("Unused for 30 days").unwrap()..html.find("Applications by calls").unwrap()];
    assert!(
        idle.contains(">Quiet key<") && idle.contains("last used 31 days ago"),
        "{idle}"
    );
    assert!(idle.contains(">Never used<") && idle.contains("never used; created 31 days ago"));
    assert!(!idle.contains(">Busy key<"));
    for id in [&quiet_id, &never_id] {
        assert!(idle.contains(&format!("action=\"{team}/credentials/{id}/suspend\"")));
        assert!(idle.contains(&format!("action=\"{team}/credentials/{id}/delete\"")));
    }
    // The path works without JavaScript: the confirm page, then the change.
    let from = format!("{team}/usage");
    let path = format!("{team}/credentials/{quiet_id}/suspend");
    let res = admin.submit(&from, &path, &[]).await;
    assert_eq!(res.status(), 200, "a confirm page first");
    let res = admin.submit(&from, &path, &[("confirmed", "yes")]).await;
    assert_eq!(res.status(), 303);
    let c = app
        .state
        .store
        .credential(quiet_id.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(c.desired, agora::domain::credential::Desired::Inactive);

    let csv = admin
        .get(&format!("{team}/usage.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 31, "a header and 30 days");
    assert!(csv.ends_with(",3,3,0,0,0,0,0,0\n"), "{csv}");
}
