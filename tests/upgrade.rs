//! A data directory written by the previous release opens in this one.
//!
//! `tests/fixtures/release-0.1.0/` holds a database written by release
//! 0.1.0 with every kind of record (people, teams, a provider's product with
//! its resource and plan, a subscription, an application, an access, API
//! keys active, suspended and renewed with grace, an OAuth client, an API
//! token, a webhook endpoint with its deliveries, notifications, an
//! invitation, the audit history), its key, and `facts.json` naming what is
//! in it. It is written once per release by
//! `cargo test --test upgrade -- --ignored write_the_release_fixture` and
//! then kept: every later release must open it.

mod common;

use std::path::{Path, PathBuf};

use common::api::Api;
use common::*;
use serde_json::{Value, json};

const RELEASE: &str = "release-0.1.0";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(RELEASE)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

const PRIVATE: (&str, &str) = ("AGORA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");

#[actix_web::test]
#[ignore = "writes the fixture of a release; run once when releasing"]
async fn write_the_release_fixture() {
    let app = spawn_app_with(&[PRIVATE]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let team = h.c.team.clone();
    let (active, active_key, _) = admin.create_credential(&h, "active key", "api_key").await;
    let (suspended, suspended_key, _) = admin
        .create_credential(&h, "suspended key", "api_key")
        .await;
    let (renewed, _, _) = admin.create_credential(&h, "renewed key", "api_key").await;
    admin.allow_oauth_clients(&h.c.listing, "embedded").await;
    let (oauth, _, client_id) = admin
        .create_credential(&h, "oauth client", "oauth_client")
        .await;
    app.run_due().await;
    let token = admin.personal_token("fixture", "read-write", None).await;
    let api = Api::new(&app.base, &token);
    let (s, _) = api
        .post(
            &format!("/teams/{team}/credentials/{suspended}/suspend"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = api
        .post(
            &format!("/teams/{team}/credentials/{renewed}/renew"),
            json!({"grace": "1h"}),
        )
        .await;
    assert_eq!(s, 200, "renew");
    let (s, hook) = api
        .post(
            &format!("/teams/{team}/webhooks"),
            json!({"url": "http://127.0.0.1:9/hook", "events": ["credential.suspended", "credential.created"]}),
        )
        .await;
    assert_eq!(s, 201, "{hook}");
    let (s, _) = api
        .post(
            &format!("/teams/{team}/credentials/{active}/suspend"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = api
        .post(
            &format!("/teams/{team}/credentials/{active}/enable"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    app.run_due().await;
    admin.invite("later@example.com", "Later", None).await;
    let facts = json!({
        "team": team,
        "application": h.c.application,
        "active": {"id": active, "key": active_key},
        "suspended": {"id": suspended, "key": suspended_key},
        "renewed": renewed,
        "oauth": {"id": oauth, "client_id": client_id},
        "token": token,
        "webhook": hook["id"],
    });
    let dir = app.stop().await;
    let out = fixture();
    let _ = std::fs::remove_dir_all(&out);
    copy_dir(&dir.path().join("data"), &out.join("data"));
    std::fs::copy(dir.path().join("agora.key"), out.join("agora.key")).unwrap();
    std::fs::write(
        out.join("facts.json"),
        serde_json::to_string_pretty(&facts).unwrap(),
    )
    .unwrap();
}

#[actix_web::test]
async fn the_previous_release_opens_with_every_record_readable() {
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("facts.json")).unwrap())
            .unwrap();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture().join("data"), &dir.path().join("data"));
    std::fs::copy(fixture().join("agora.key"), dir.path().join("agora.key")).unwrap();

    let app = spawn_in(dir, &[PRIVATE]).await;
    assert_eq!(
        app.state.store.schema_version().unwrap(),
        agora::store::SCHEMA_VERSION
    );
    let people = app.browser();
    assert_eq!(
        people.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        303
    );
    let team = s(&facts["team"]);
    let active = s(&facts["active"]["id"]);
    let page = people
        .html(&format!("/teams/{team}/credentials/{active}"))
        .await;
    assert!(
        page.contains("active key") && page.contains("Active"),
        "{page}"
    );
    let page = people
        .html(&format!(
            "/teams/{team}/applications/{}",
            s(&facts["application"])
        ))
        .await;
    for name in ["active key", "suspended key", "renewed key", "oauth client"] {
        assert!(page.contains(name), "{name} listed");
    }
    assert!(
        people
            .html("/admin/users")
            .await
            .contains("later@example.com")
    );

    // The gateway agrees with the pages.
    let route = [("X-Original-URI", "/weather/today")];
    let key = s(&facts["active"]["key"]);
    let res = authorize(&app, &[("X-API-Key", key.as_str()), route[0]]).await;
    assert_eq!(res.status(), 200);
    let key = s(&facts["suspended"]["key"]);
    let res = authorize(&app, &[("X-API-Key", key.as_str()), route[0]]).await;
    assert_ne!(res.status(), 200, "the suspended key stays refused");

    // The API token, the webhook endpoint and its deliveries, the audit history.
    let api = Api::new(&app.base, &s(&facts["token"]));
    let (status, hook) = api
        .get(&format!("/teams/{team}/webhooks/{}", s(&facts["webhook"])))
        .await;
    assert_eq!(status, 200, "{hook}");
    let (status, deliveries) = api
        .get(&format!(
            "/teams/{team}/webhooks/{}/deliveries",
            s(&facts["webhook"])
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        !deliveries["items"].as_array().unwrap().is_empty(),
        "{deliveries}"
    );
    let (status, audit) = api.get(&format!("/teams/{team}/audit")).await;
    assert_eq!(status, 200);
    assert!(audit["items"].as_array().unwrap().len() >= 5, "{audit}");
    let (status, notes) = api.get("/notifications").await;
    assert_eq!(status, 200, "{notes}");

    let dir = app.stop().await;
    let config = settings_on(dir.path(), &[]);
    let mut report = agora::operate::check_data(&config);
    // sled's flusher may hold the closed database's lock for a moment.
    for _ in 0..100 {
        match &report {
            Err(e) if e.contains("could not acquire lock") => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                report = agora::operate::check_data(&config);
            }
            _ => break,
        }
    }
    let report = report.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}
