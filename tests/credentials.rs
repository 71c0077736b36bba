//! Credentials over HTTP: Create Credential, View Credential within the
//! window, Suspend / Enable / Renew / Delete, the provider's hand, who may do
//! what — and what the gateway says after each step.

mod common;

use std::time::Duration;

use agora::domain::credential::{Desired, Observed};
use agora::domain::ids::CredentialId;
use agora::store::{Changes, SealedSecret};
use common::*;

fn credential(app: &TestApp, id: &str) -> Option<agora::domain::credential::Credential> {
    app.state
        .store
        .credential(id.parse::<CredentialId>().unwrap())
        .unwrap()
}

async fn call(app: &TestApp, key: &str, _: &Holder) -> u16 {
    authorize(
        app,
        &[("X-API-Key", key), ("X-Original-URI", "/weather/today")],
    )
    .await
    .status()
    .as_u16()
}

#[actix_web::test]
async fn a_new_api_key_is_shown_once_and_works_once_provisioned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let form = admin.html(&h.new_credential_path()).await;
    assert!(form.contains("API key"), "{form}");
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    assert!(key.starts_with("agora_") && key.len() == 79, "{key}");
    let c = credential(&app, &id).unwrap();
    assert!(key.contains(c.key_id.as_str()));
    assert!(!c.secret_hash.is_empty() && !key.contains(&c.secret_hash));
    app.run_due().await;
    let c = credential(&app, &id).unwrap();
    assert_eq!((c.desired, c.observed), (Desired::Active, Observed::Active));

    let res = authorize(
        &app,
        &[("X-API-Key", &key), ("X-Original-URI", "/weather/today")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-agora-team"], h.c.team.as_str());
    assert_eq!(
        res.headers()["x-agora-application"],
        h.c.application.as_str()
    );
    assert_eq!(res.headers()["x-agora-credential"], c.key_id.as_str());
    // Also as a bearer token, and by the route of the original URI.
    let bearer = format!("Bearer {key}");
    let res = authorize(
        &app,
        &[
            ("Authorization", &bearer),
            ("X-Original-URI", "/weather/today?city=x"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = authorize(&app, &[("X-API-Key", &key), ("X-Original-URI", "/other/")]).await;
    assert_eq!(res.status(), 403, "a path outside the resource");

    // Missing, malformed, mistyped and unknown keys: 401 with a challenge.
    let res = authorize(&app, &[("X-Original-URI", "/weather/today")]).await;
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let mut typo = key.clone().into_bytes();
    typo[30] = if typo[30] == b'a' { b'b' } else { b'a' };
    assert_eq!(
        call(&app, std::str::from_utf8(&typo).unwrap(), &h).await,
        401
    );
    assert_eq!(call(&app, "agora_nonsense", &h).await, 401);
    let other =
        agora::domain::key_format::api_key(&c.key_id, &agora::domain::key_format::new_secret());
    assert_eq!(
        call(&app, &other, &h).await,
        401,
        "right key id, wrong secret"
    );

    // The lists show it.
    let page = admin
        .html(&format!(
            "/teams/{}/applications/{}",
            h.c.team, h.c.application
        ))
        .await;
    assert!(
        page.contains("CI key") && page.contains(c.key_id.as_str()),
        "{page}"
    );
    let track = format!(
        "/marketplace/products/{}/resources/{}/credentials",
        h.c.listing.product, h.c.listing.resource
    );
    assert!(admin.html(&track).await.contains("CI key"));
}

#[actix_web::test]
async fn the_secret_can_be_viewed_within_the_window_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let view = format!("{panel}/view");
    let html = admin.html(&panel).await;
    assert!(
        html.contains("2 days 23 hours left") || html.contains("3 days 0 hours left"),
        "{html}"
    );

    // A wrong password shows nothing.
    let res = admin
        .submit(&panel, &view, &[("password", "wrong password")])
        .await;
    let html = expect_page(res, 422, "This is not your password.").await;
    assert!(!html.contains(&key));

    app.advance(Duration::from_secs(3 * 86_400 - 3_600));
    // Sessions end after two idle hours: sign in again.
    assert_eq!(admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    let html = admin.html(&panel).await;
    assert!(html.contains("1 hour 0 minutes left"), "{html}");
    let res = admin
        .submit(&panel, &view, &[("password", ADMIN_PASSWORD)])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(input_value(&res.text().await.unwrap(), "secret"), key);
    let history = admin.html(&panel).await;
    assert!(
        history.contains("viewed the secret of credential CI key"),
        "{history}"
    );

    // One second after the window: refused, although the sweep has not run.
    app.advance(Duration::from_secs(3_601));
    assert_eq!(app.state.store.sealed_secret_count(), 1);
    let res = admin
        .submit(&panel, &view, &[("password", ADMIN_PASSWORD)])
        .await;
    let html = expect_page(res, 410, "no longer viewable").await;
    assert!(!html.contains(&key));
    assert!(
        admin
            .html(&panel)
            .await
            .contains("Renew the credential for a new secret")
    );
    let report = agora::scheduler::sweep(&app.state).await.unwrap();
    assert_eq!(report.secrets, 1);
    assert_eq!(
        app.state.store.sealed_secret_count(),
        0,
        "gone from the database"
    );
    // The key itself still works: only the copy in the portal is gone.
    app.run_due().await;
    assert_eq!(call(&app, &key, &h).await, 200);
}

#[actix_web::test]
async fn a_sealed_secret_moved_to_another_credential_does_not_open() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (a, key_a, _) = admin.create_credential(&h, "A", "api_key").await;
    let (b, key_b, _) = admin.create_credential(&h, "B", "api_key").await;
    let a_id: CredentialId = a.parse().unwrap();
    let b_id: CredentialId = b.parse().unwrap();
    let sealed_a = app.state.store.sealed_secret(a_id, 1).unwrap().unwrap();
    // Copy A's ciphertext onto B's record.
    let until = credential(&app, &b).unwrap().window_until.unwrap();
    let moved = SealedSecret {
        credential: b_id,
        version: 1,
        until,
        sealed: sealed_a,
    };
    let audit = agora::domain::audit::AuditRecord {
        id: agora::domain::ids::AuditId::generate(app.state.clock.now()),
        at: app.state.clock.now(),
        actor: None,
        team: None,
        action: "test.tamper".into(),
        detail: String::new(),
        subject: None,
    };
    app.state
        .store
        .commit(
            &Changes {
                secrets: vec![&moved],
                ..Changes::default()
            },
            &audit,
        )
        .unwrap();
    let panel = format!("/teams/{}/credentials/{b}", h.c.team);
    let res = admin.view_credential(&panel, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 500);
    let html = res.text().await.unwrap();
    assert!(!html.contains(&key_a) && !html.contains(&key_b));
}

#[actix_web::test]
async fn suspend_enable_renew_and_delete_hold_at_the_gateway() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    assert_eq!(call(&app, &key, &h).await, 200);
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);

    // Without JavaScript the action asks first.
    let res = admin.submit(&panel, &format!("{panel}/suspend"), &[]).await;
    expect_page(res, 200, "Yes, suspend credential").await;
    assert_eq!(call(&app, &key, &h).await, 200, "nothing changed yet");
    let res = admin
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    // The very next call is refused, before the data plane has caught up.
    assert_eq!(call(&app, &key, &h).await, 403);
    let page = admin.html(&panel).await;
    assert!(
        page.contains("Inactive — suspending…") || page.contains(">Inactive<"),
        "{page}"
    );
    app.run_due().await;
    assert_eq!(credential(&app, &id).unwrap().observed, Observed::Inactive);
    assert!(admin.html(&panel).await.contains("Enable credential"));

    admin
        .submit(&panel, &format!("{panel}/enable"), &[("confirmed", "yes")])
        .await;
    app.run_due().await;
    assert_eq!(call(&app, &key, &h).await, 200);

    // Renew with a one-hour grace: both keys work, then only the new one.
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "1h")],
        )
        .await;
    let new_key = input_value(&admin.secret_page(res).await, "secret");
    assert_ne!(new_key, key);
    app.run_due().await;
    assert_eq!(
        call(&app, &key, &h).await,
        200,
        "old key within the grace period"
    );
    assert_eq!(call(&app, &new_key, &h).await, 200);
    app.advance(Duration::from_secs(3_601));
    assert_eq!(
        call(&app, &key, &h).await,
        401,
        "old key after the grace period"
    );
    assert_eq!(call(&app, &new_key, &h).await, 200);
    // A grace longer than the data plane allows is refused.
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "30d")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(call(&app, &new_key, &h).await, 200, "not renewed");

    // Delete: refused at once, gone from the lists once the data plane confirms.
    let res = admin.submit(&panel, &format!("{panel}/delete"), &[]).await;
    expect_page(res, 200, "This cannot be undone").await;
    let res = admin
        .submit(&panel, &format!("{panel}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(call(&app, &new_key, &h).await, 401);
    app.run_due().await;
    assert!(credential(&app, &id).is_none(), "the record is gone");
    let page = admin
        .html(&format!(
            "/teams/{}/applications/{}",
            h.c.team, h.c.application
        ))
        .await;
    assert!(!page.contains(&format!("/credentials/{id}\"")), "{page}");
    let trail = app
        .state
        .store
        .subject_audit(
            agora::domain::audit::Subject::Credential(id.parse().unwrap()),
            50,
        )
        .unwrap();
    let actions: Vec<_> = trail.iter().map(|r| r.action.as_str()).collect();
    for a in [
        "credential.created",
        "credential.suspended",
        "credential.enabled",
        "credential.renewed",
        "credential.deleted",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[actix_web::test]
async fn after_a_restart_the_gateway_holds_the_same_states_and_last_used_times() {
    let app = spawn_in(tempfile::tempdir().unwrap(), &[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (used, used_key, _) = admin.create_credential(&h, "used", "api_key").await;
    let (held, held_key, _) = admin.create_credential(&h, "held", "api_key").await;
    let (idle, idle_key, _) = admin.create_credential(&h, "idle", "api_key").await;
    app.run_due().await;
    assert_eq!(call(&app, &used_key, &h).await, 200);
    let panel = format!("/teams/{}/credentials/{held}", h.c.team);
    admin
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    app.run_due().await;
    let used_at = app.state.clock.now();
    // The sweep writes the last-used times.
    agora::scheduler::sweep(&app.state).await.unwrap();
    let key_of = |app: &TestApp, id: &str| credential(app, id).unwrap().key_id;
    let (used_id, held_id, idle_id) = (
        key_of(&app, &used),
        key_of(&app, &held),
        key_of(&app, &idle),
    );
    let dir = app.stop().await;

    let app = spawn_in(dir, &[]).await;
    assert_eq!(app.state.gateway.credential_count(), 3);
    assert_eq!(app.state.gateway.last_used(&used_id), Some(Some(used_at)));
    assert_eq!(app.state.gateway.last_used(&held_id), Some(None));
    assert_eq!(app.state.gateway.last_used(&idle_id), Some(None));
    assert_eq!(call(&app, &used_key, &h).await, 200);
    assert_eq!(call(&app, &idle_key, &h).await, 200);
    assert_eq!(call(&app, &held_key, &h).await, 403, "still suspended");
}

/// The row of the named credential on a page, or `None`.
fn row_of(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!(">{name}</a>"))?;
    let end = at + html[at..].find("</tr>")?;
    Some(html[at..end].to_owned())
}

#[actix_web::test]
async fn the_application_page_follows_every_change_to_its_credentials() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = format!("/teams/{}/applications/{}", h.c.team, h.c.application);
    let state_of = |html: String| {
        let row = row_of(&html, "Watched").unwrap_or_default();
        [
            "state-pending",
            "state-active",
            "state-cancelled",
            "state-revoked",
        ]
        .into_iter()
        .find(|s| row.contains(s))
        .unwrap_or("absent")
    };
    // Each step views the page before and after it: a page never shows a
    // state older than the last change acknowledged.
    assert_eq!(state_of(admin.html(&page).await), "absent");
    let (id, key, _) = admin.create_credential(&h, "Watched", "api_key").await;
    // Pending or, if the engine was quicker, Active already.
    assert_ne!(state_of(admin.html(&page).await), "absent");
    app.run_due().await;
    assert_eq!(state_of(admin.html(&page).await), "state-active");
    let unused = row_of(&admin.html(&page).await, "Watched").unwrap();
    // Last used, then the calls of the last 24 hours.
    assert!(
        unused
            .trim_end()
            .ends_with("<td>never</td>\n    <td>0</td>"),
        "{unused}"
    );
    assert_eq!(call(&app, &key, &h).await, 200);
    let used = row_of(&admin.html(&page).await, "Watched").unwrap();
    // The last use shows at once; the call's count once the usage job
    // has written it.
    let now = app.state.clock.now().display();
    assert!(
        used.trim_end()
            .ends_with(&format!("<td>{now}</td>\n    <td>0</td>")),
        "{used}"
    );
    agora::ops::usage::write(&app.state).await.unwrap();
    let counted = row_of(&admin.html(&page).await, "Watched").unwrap();
    assert!(
        counted
            .trim_end()
            .ends_with(&format!("<td>{now}</td>\n    <td>1</td>")),
        "{counted}"
    );

    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    admin
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    assert_eq!(state_of(admin.html(&page).await), "state-cancelled");
    app.run_due().await;
    assert_eq!(state_of(admin.html(&page).await), "state-cancelled");
    admin
        .submit(&panel, &format!("{panel}/delete"), &[("confirmed", "yes")])
        .await;
    // Deleting, or already gone if the engine was quicker: never the old state.
    let after = state_of(admin.html(&page).await);
    assert!(after == "state-revoked" || after == "absent", "{after}");
    app.run_due().await;
    assert_eq!(state_of(admin.html(&page).await), "absent");
}

#[actix_web::test]
async fn oauth_clients_get_tokens_that_die_with_their_credential() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    // Let the resource accept OAuth clients too.
    admin
        .save_resource_fields(&h.c.listing, "Forecast", "/weather/", "automatic", &[])
        .await;
    admin.allow_oauth_clients(&h.c.listing, "embedded").await;
    let (id, secret, client_id) = admin.create_credential(&h, "Backend", "oauth_client").await;
    assert!(client_id.starts_with("agc_"));
    app.run_due().await;

    let client = reqwest::Client::new();
    let token_url = format!("{}/oauth/token", app.base);
    let res = client
        .post(&token_url)
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let with_token = [
        ("Authorization", bearer.as_str()),
        ("X-Original-URI", "/weather/today"),
    ];
    assert_eq!(authorize(&app, &with_token).await.status(), 200);

    // Form-field client authentication works too; errors follow RFC 6749.
    let res = client
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(&token_url)
        .basic_auth(&client_id, Some("0".repeat(48)))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let res = client
        .post(&token_url)
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    // Tokens expire.
    app.advance(Duration::from_secs(3_601));
    assert_eq!(authorize(&app, &with_token).await.status(), 401);

    // Renewal kills the tokens of the old secret.
    let fresh = client
        .post(&token_url)
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {fresh}");
    let with_token = [
        ("Authorization", bearer.as_str()),
        ("X-Original-URI", "/weather/today"),
    ];
    assert_eq!(authorize(&app, &with_token).await.status(), 200);
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    admin
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    assert_eq!(
        authorize(&app, &with_token).await.status(),
        403,
        "suspended"
    );
    admin
        .submit(&panel, &format!("{panel}/enable"), &[("confirmed", "yes")])
        .await;
    app.run_due().await;
    assert_eq!(authorize(&app, &with_token).await.status(), 200);
    admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "none")],
        )
        .await;
    app.run_due().await;
    assert_eq!(authorize(&app, &with_token).await.status(), 401, "renewed");
}

#[actix_web::test]
async fn the_plans_quota_is_enforced_with_retry_after() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    // The listing's plan allows 100 requests per minute.
    for _ in 0..100 {
        assert_eq!(call(&app, &key, &h).await, 200);
    }
    let res = authorize(
        &app,
        &[("X-API-Key", &key), ("X-Original-URI", "/weather/today")],
    )
    .await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    app.advance(Duration::from_secs(wait));
    assert_eq!(call(&app, &key, &h).await, 200);
}

#[actix_web::test]
async fn viewers_look_other_teams_see_nothing_and_providers_act_with_a_reason() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let viewer = app
        .member(
            &admin,
            "view@example.com",
            "View",
            Some((&h.c.team, "viewer")),
        )
        .await;
    let page = viewer.html(&panel).await;
    assert!(!page.contains("View Credential</button>") && !page.contains("Suspend credential"));
    let res = viewer.view_credential(&panel, "member password 1").await;
    assert_eq!(res.status(), 403, "viewers never reveal");
    let res = viewer
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(viewer.get(&h.new_credential_path()).await.status(), 403);

    let other = admin.create_team("Others").await;
    let outsider = app
        .member(&admin, "out@example.com", "Out", Some((&other, "admin")))
        .await;
    assert_eq!(outsider.get(&panel).await.status(), 404);
    assert_eq!(
        outsider
            .get(&format!("/teams/{other}/credentials/{id}"))
            .await
            .status(),
        404
    );

    // Another provider cannot touch it; its own provider acts with a reason.
    let maps = app.listing(&admin, "Maps", "automatic").await;
    let res = admin
        .submit(
            "/",
            &format!("/provider/{}/credentials/{id}/suspend", maps.provider),
            &[("reason", "mine")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(call(&app, &key, &h).await, 200);
    let list = format!("/provider/{}/credentials", h.c.listing.provider);
    let rows = admin.html(&list).await;
    assert!(rows.contains("CI key"));
    // Each row's actions are named by the credential and its team, each with its own reason.
    assert!(
        rows.contains(">Suspend CI key of Buyers</button>"),
        "{rows}"
    );
    assert!(rows.contains(">Delete CI key of Buyers</button>"), "{rows}");
    assert!(rows.contains("Reason to delete CI key"), "{rows}");
    let act = format!(
        "/provider/{}/credentials/{id}/suspend",
        h.c.listing.provider
    );
    admin.submit(&list, &act, &[("reason", "")]).await;
    assert_eq!(call(&app, &key, &h).await, 200, "no reason, no action");
    // Without JavaScript: a confirm page in the dialog's words, the reason carried on.
    let confirm = admin
        .submit(&list, &act, &[("reason", "Abuse detected")])
        .await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Suspend CI key of Buyers?"), "{confirm}");
    assert!(
        rows.contains("data-confirm=\"Suspend CI key of Buyers? "),
        "{rows}"
    );
    assert!(
        confirm.contains("name=\"reason\" value=\"Abuse detected\""),
        "{confirm}"
    );
    assert_eq!(call(&app, &key, &h).await, 200, "nothing yet");
    admin
        .submit(
            &list,
            &act,
            &[("reason", "Abuse detected"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(call(&app, &key, &h).await, 403);
    let page = admin.html(&panel).await;
    assert!(page.contains("Abuse detected"), "{page}");
}

#[actix_web::test]
async fn a_zero_view_window_shows_the_secret_once_only() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__EMBEDDED__VIEW_WINDOW", "0")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    assert_eq!(app.state.store.sealed_secret_count(), 0, "nothing kept");
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    assert!(admin.html(&panel).await.contains("no longer viewable"));
    let res = admin.view_credential(&panel, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 410);
}

#[actix_web::test]
async fn credentials_go_with_the_access_they_live_under() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    assert_eq!(call(&app, &key, &h).await, 200);

    // The provider ends the subscription: the access is revoked and the key refused at once.
    let approvals = format!("/provider/{}/approvals", h.c.listing.provider);
    let end = format!(
        "/provider/{}/subscriptions/{}/end",
        h.c.listing.provider, h.c.subscription
    );
    admin
        .submit(
            &approvals,
            &end,
            &[("reason", "Contract over"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(call(&app, &key, &h).await, 401);
    // (The removal starts at once; the record may already be gone.)
    if let Some(c) = credential(&app, &id) {
        assert_eq!(c.desired, Desired::Deleted);
        assert!(c.reason.unwrap().contains("Contract over"));
    }
    app.run_due().await;
    assert!(
        credential(&app, &id).is_none(),
        "removed from the data plane and the lists"
    );

    // Archiving an application does the same, and it can then be deleted.
    let l = &h.c.listing;
    let sub = last_id(&admin.subscribe(&l.product, &l.plan, &h.c.team).await);
    let second = admin.create_application(&h.c.team, "Second app").await;
    let res = admin
        .request_access(&l.product, &l.resource, &second, &sub, &[])
        .await;
    let access = location(&res).split('/').rev().nth(2).unwrap().to_owned();
    app.run_due().await;
    let h2 = Holder {
        c: Consumer {
            listing: Listing {
                provider: l.provider.clone(),
                product: l.product.clone(),
                resource: l.resource.clone(),
                plan: l.plan.clone(),
            },
            team: h.c.team.clone(),
            subscription: sub,
            application: second,
        },
        access,
    };
    let (id2, key2, _) = admin.create_credential(&h2, "Second", "api_key").await;
    app.run_due().await;
    assert_eq!(call(&app, &key2, &h2).await, 200);
    let show = format!("/teams/{}/applications/{}", h2.c.team, h2.c.application);
    admin
        .submit(&show, &format!("{show}/archive"), &[("confirmed", "yes")])
        .await;
    assert_eq!(call(&app, &key2, &h2).await, 401);
    app.run_due().await;
    assert!(credential(&app, &id2).is_none());
    let res = admin
        .submit(&show, &format!("{show}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(location(&res), format!("/teams/{}/applications", h2.c.team));
}

#[actix_web::test]
async fn on_a_manual_data_plane_the_provider_marks_credentials_done() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "ops", "automatic").await;
    let l = &c.listing;
    let res = admin.request_access_for(&c).await;
    let access = location(&res).split('/').rev().nth(2).unwrap().to_owned();
    app.run_due().await;
    let queue = format!("/provider/{}/provisioning", l.provider);
    admin
        .submit(
            &queue,
            &format!("/provider/{}/access/{access}/provisioned", l.provider),
            &[],
        )
        .await;
    let provider = l.provider.clone();
    let h = Holder { c, access };
    let id = create_by_hand(&admin, &h, "Ops key").await;
    app.run_due().await;
    let html = admin.html(&queue).await;
    assert!(html.contains("Mark provisioned: credential"), "{html}");
    assert!(html.contains("Secret you set on your gateway"), "{html}");
    assert!(
        html.contains("plan Standard (100 requests per minute)"),
        "{html}"
    );
    let task = credential(&app, &id).unwrap().task.unwrap();
    let res = admin
        .submit(
            &queue,
            &format!("/provider/{}/tasks/{task}/failed", provider),
            &[("reason", "Gateway down")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let c = credential(&app, &id).unwrap();
    assert!(c.failed && c.last_error.as_deref() == Some("Gateway down"));
    admin
        .submit(
            &queue,
            &format!("/provider/{}/tasks/{task}/retry", provider),
            &[],
        )
        .await;
    app.run_due().await;
    let task = credential(&app, &id).unwrap().task.unwrap();
    let done = format!("/provider/{provider}/tasks/{task}/provisioned");
    // Without the secret, or with one of the wrong shape: refused, nothing changes.
    for bad in ["", "short", "has spaces in the secret"] {
        let res = admin.submit(&queue, &done, &[("secret", bad)]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            credential(&app, &id).unwrap().observed,
            Observed::Absent,
            "{bad:?}"
        );
    }
    let made = "ops-gateway-made-secret-0042";
    admin.submit(&queue, &done, &[("secret", made)]).await;
    let c = credential(&app, &id).unwrap();
    assert_eq!(
        (c.desired, c.observed, c.failed),
        (Desired::Active, Observed::Active, false)
    );
    // The consumer views the secret the provider entered, as usual.
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let res = admin.view_credential(&panel, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(input_value(&res.text().await.unwrap(), "secret"), made);
    // Renew works the same way: the provider enters the new secret.
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "none")],
        )
        .await;
    assert_eq!(res.status(), 303);
    app.run_due().await;
    let task = credential(&app, &id).unwrap().task.unwrap();
    assert!(
        admin
            .html(&queue)
            .await
            .contains("Secret you set on your gateway")
    );
    let renewed = "ops-gateway-renewed-secret-0043";
    admin
        .submit(
            &queue,
            &format!("/provider/{provider}/tasks/{task}/provisioned"),
            &[("secret", renewed)],
        )
        .await;
    let res = admin.view_credential(&panel, ADMIN_PASSWORD).await;
    assert_eq!(input_value(&res.text().await.unwrap(), "secret"), renewed);
}

/// Creates a credential on a plane whose provider makes the secrets: it
/// leads to the credential's page, with no secret yet; returns its id.
async fn create_by_hand(admin: &Browser, h: &Holder, name: &str) -> String {
    let page = h.new_credential_path();
    let res = admin
        .submit(&page, &page, &[("name", name), ("kind", "api_key")])
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(
        to.contains("/credentials/") && !to.ends_with("/secret"),
        "{to}"
    );
    to.rsplit('/').next().unwrap().to_owned()
}

#[actix_web::test]
async fn on_a_manual_data_plane_the_words_follow_the_step_asked_for() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "ops", "automatic").await;
    let provider = c.listing.provider.clone();
    let res = admin.request_access_for(&c).await;
    let access = location(&res).split('/').rev().nth(2).unwrap().to_owned();
    app.run_due().await;
    let queue = format!("/provider/{provider}/provisioning");
    assert!(
        admin
            .html(&queue)
            .await
            .contains("Mark provisioned: Mobile")
    );
    admin
        .submit(
            &queue,
            &format!("/provider/{provider}/access/{access}/provisioned"),
            &[],
        )
        .await;
    let team = c.team.clone();
    let h = Holder { c, access };
    let id = create_by_hand(&admin, &h, "Ops key").await;
    app.run_due().await;
    let panel = format!("/teams/{team}/credentials/{id}");
    assert!(
        admin
            .html(&panel)
            .await
            .contains("waiting for the provider to set it up by hand")
    );
    let task = credential(&app, &id).unwrap().task.unwrap();
    admin
        .submit(
            &queue,
            &format!("/provider/{provider}/tasks/{task}/provisioned"),
            &[("secret", "ops-gateway-made-secret-0042")],
        )
        .await;
    admin
        .submit(&panel, &format!("{panel}/delete"), &[("confirmed", "yes")])
        .await;
    app.run_due().await;
    let html = admin.html(&panel).await;
    assert!(html.contains("Deleting"), "{html}");
    assert!(
        html.contains("waiting for the provider to remove it by hand"),
        "{html}"
    );
    assert!(!html.contains("set it up by hand"), "{html}");
    let html = admin.html(&queue).await;
    assert!(html.contains("Mark removed: credential"), "{html}");
    assert!(html.contains("Mark failed: credential"), "{html}");
}

/// The `data-confirm` text of the form posting to `action` on a page.
fn dialog_of(html: &str, action: &str) -> String {
    let at = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form to {action}"));
    let rest = &html[at..];
    let start = rest.find("data-confirm=\"").expect("a dialog") + 14;
    rest[start..start + rest[start..].find('"').unwrap()].to_owned()
}

/// The heading and first paragraph of a confirm page, as the dialog joins them.
fn confirm_words(html: &str) -> String {
    let between = |open: &str, close: &str| {
        let s = html.find(open).expect("the tag") + open.len();
        html[s..s + html[s..].find(close).unwrap()].to_owned()
    };
    format!(
        "{} {}",
        between("<h1>", "</h1>"),
        between("</h1>\n<p>", "</p>")
    )
}

#[actix_web::test]
async fn every_dialog_says_what_its_confirm_page_says() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let html = admin.html(&panel).await;
    for verb in ["suspend", "delete", "renew"] {
        let action = format!("{panel}/{verb}");
        let dialog = dialog_of(&html, &action);
        let page = admin.submit(&panel, &action, &[("grace", "1h")]).await;
        assert_eq!(page.status(), 200, "{verb}: the confirm page");
        let words = confirm_words(&page.text().await.unwrap());
        assert!(
            words.starts_with(&dialog),
            "{verb}: page {words:?}, dialog {dialog:?}"
        );
    }
    let app_page = format!("/teams/{}/applications/{}", h.c.team, h.c.application);
    let html = admin.html(&app_page).await;
    let action = format!("{app_page}/archive");
    let dialog = dialog_of(&html, &action);
    let page = admin.submit(&app_page, &action, &[]).await;
    assert_eq!(confirm_words(&page.text().await.unwrap()), dialog);
}

#[actix_web::test]
async fn the_consumer_ends_a_renewals_grace_early_and_the_old_secret_stops_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, old_key, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "24h")],
        )
        .await;
    let new_key = input_value(&admin.secret_page(res).await, "secret");
    app.run_due().await;
    assert_eq!(
        call(&app, &old_key, &h).await,
        200,
        "the old key, in its grace"
    );
    let page = admin.html(&panel).await;
    assert!(page.contains("End grace period now"), "{page}");
    // Without JavaScript: a confirm page first, in the dialog's words.
    let confirm = admin
        .submit(&panel, &format!("{panel}/end-grace"), &[])
        .await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(
        confirm.contains("End the grace period of Edge?"),
        "{confirm}"
    );
    assert_eq!(call(&app, &old_key, &h).await, 200, "nothing changed yet");
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/end-grace"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        call(&app, &old_key, &h).await,
        401,
        "refused from the very next call"
    );
    assert_eq!(call(&app, &new_key, &h).await, 200);
    let page = admin.html(&panel).await;
    assert!(!page.contains("Renewal grace"), "{page}");
    assert!(
        page.contains("ended the grace period of credential Edge"),
        "the history"
    );
    app.run_due().await;
    let c = credential(&app, &id).unwrap();
    assert!(
        !c.plane_grace && c.task.is_none(),
        "the data plane's record follows"
    );
    // A restart reads the data plane's record: still refused.
    let dir = app.stop().await;
    let app = spawn_in(dir, &[]).await;
    assert_eq!(call(&app, &old_key, &h).await, 401);
    assert_eq!(call(&app, &new_key, &h).await, 200);
}

#[actix_web::test]
async fn on_a_manual_data_plane_an_oauth_client_takes_the_client_id_the_gateway_made() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "ops", "automatic").await;
    let l = &c.listing;
    admin.allow_oauth_clients(l, "ops").await;
    let provider = l.provider.clone();
    let res = admin.request_access_for(&c).await;
    let access = location(&res).split('/').rev().nth(2).unwrap().to_owned();
    app.run_due().await;
    let queue = format!("/provider/{provider}/provisioning");
    admin
        .submit(
            &queue,
            &format!("/provider/{provider}/access/{access}/provisioned"),
            &[],
        )
        .await;
    let h = Holder { c, access };
    let page = h.new_credential_path();
    let res = admin
        .submit(
            &page,
            &page,
            &[("name", "Ops client"), ("kind", "oauth_client")],
        )
        .await;
    let id = location(&res).rsplit('/').next().unwrap().to_owned();
    app.run_due().await;
    assert!(
        admin
            .html(&queue)
            .await
            .contains("Client ID your gateway made")
    );
    let task = credential(&app, &id).unwrap().task.unwrap();
    let done = format!("/provider/{provider}/tasks/{task}/provisioned");
    let res = admin
        .submit(
            &queue,
            &done,
            &[
                ("secret", "ops-gateway-client-secret-01"),
                ("client_id", "bad id"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        credential(&app, &id).unwrap().observed,
        Observed::Absent,
        "refused"
    );
    admin
        .submit(
            &queue,
            &done,
            &[
                ("secret", "ops-gateway-client-secret-01"),
                ("client_id", "gw-client-77"),
            ],
        )
        .await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let res = admin.view_credential(&panel, ADMIN_PASSWORD).await;
    let html = res.text().await.unwrap();
    assert_eq!(input_value(&html, "client-id"), "gw-client-77");
    assert_eq!(input_value(&html, "secret"), "ops-gateway-client-secret-01");
    assert!(
        admin.html(&panel).await.contains("gw-client-77"),
        "the panel shows it too"
    );
}

/// Forty people create at once through the API: the team's actor writes
/// them in groups, and each is answered with its own credential, written
/// with its own audit record, and provisioned.
#[actix_web::test]
async fn creates_at_once_are_each_answered_written_and_provisioned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let token = admin.personal_token("Many", "read-write", None).await;
    let api = common::api::Api::new(&app.base, &token);
    let path = format!("/teams/{}/credentials", h.c.team);
    let answers = futures_util::future::join_all((0..40).map(|i| {
        let (api, path) = (api.clone(), path.clone());
        let (application, access) = (h.c.application.clone(), h.access.clone());
        async move {
            api.post(
                &path,
                serde_json::json!({
                    "application": application,
                    "access": access,
                    "name": format!("at once {i}"),
                    "kind": "api_key",
                }),
            )
            .await
        }
    }))
    .await;
    let mut ids = std::collections::HashSet::new();
    for (i, (status, body)) in answers.iter().enumerate() {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body["name"], format!("at once {i}"));
        assert!(body["secret"].as_str().is_some_and(|s| !s.is_empty()));
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 40, "each create made its own credential");
    for id in &ids {
        let c = credential(&app, id).expect("written before it was answered");
        let history = app
            .state
            .store
            .subject_audit(agora::domain::audit::Subject::Credential(c.id), 10)
            .unwrap();
        // Provisioning may have begun meanwhile: its record comes on top.
        let created: Vec<_> = history
            .iter()
            .filter(|a| a.action == "credential.created")
            .collect();
        assert_eq!(created.len(), 1, "{history:?}");
        assert!(created[0].detail.contains(&c.name), "{history:?}");
    }
    app.run_due().await;
    for id in &ids {
        let c = credential(&app, id).unwrap();
        assert_eq!((c.desired, c.observed), (Desired::Active, Observed::Active));
    }
}

/// A command that follows creates still waiting for their group's write
/// sees them: a suspend sent right behind the create of its credential,
/// before either is answered, finds it.
#[actix_web::test]
async fn a_command_right_behind_a_create_sees_the_credential() {
    use agora::actors::credentials::{ChangeCredential, CreateCredential, NewSecret};
    use agora::domain::abilities::Abilities;
    use agora::domain::credential::CredentialAction;
    use agora::domain::expiry::Lifetime;
    use agora::domain::ids::{AccessId, TeamId};
    use agora::domain::key_format::KeyId;
    use agora::domain::resource::CredentialType;

    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let actor = app
        .state
        .store
        .user_by_email(&agora::domain::account::Email::parse(ADMIN_EMAIL).unwrap())
        .unwrap()
        .unwrap()
        .id;
    let team: TeamId = h.c.team.parse().unwrap();
    let now = app.state.clock.now();
    let create = |name: &str| CreateCredential {
        id: CredentialId::generate(now),
        access: h.access.parse::<AccessId>().unwrap(),
        kind: CredentialType::ApiKey,
        name: name.to_owned(),
        key_id: KeyId::generate(),
        secret: NewSecret {
            hash: "not a real hash".into(),
            sealed: None,
            for_agent: None,
        },
        lifetime: Lifetime::NONE,
        actor,
    };
    let (first, second) = (create("first"), create("second"));
    let suspend = ChangeCredential {
        id: first.id,
        action: CredentialAction::Suspend,
        abilities: Abilities::ALL,
        secret: None,
        actor,
        provider: None,
    };
    let teams = &app.state.teams;
    // Joined: all three are in the actor's mailbox before any is answered.
    let (a, b, c) = futures_util::join!(
        teams.send(team, first.clone()),
        teams.send(team, suspend),
        teams.send(team, second.clone()),
    );
    a.unwrap().unwrap();
    b.unwrap()
        .expect("the suspend found the credential created before it");
    c.unwrap().unwrap();
    assert_eq!(
        credential(&app, &first.id.to_string()).unwrap().desired,
        Desired::Inactive
    );
    assert_eq!(
        credential(&app, &second.id.to_string()).unwrap().desired,
        Desired::Active
    );
}
