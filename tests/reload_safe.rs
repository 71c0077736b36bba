//! A reload never repeats an action: Create Credential and Renew credential
//! carry a one-time request id, answer with a redirect to a GET page that
//! shows the secret (no-store, nothing secret in the URL), and a repeated
//! POST with the same id changes nothing and leads to the first result.

mod common;

use agora::domain::ids::{ApplicationId, CredentialId};
use common::*;
use futures_util::future::join_all;

fn request_id_of(html: &str) -> String {
    let marker = "name=\"request_id\" value=\"";
    let at = html.find(marker).expect("the form carries a request id") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

fn count(app: &TestApp, h: &Holder) -> usize {
    let app_id: ApplicationId = h.c.application.parse().unwrap();
    app.state.store.credentials_of_app(app_id).unwrap().len()
}

#[actix_web::test]
async fn a_resubmitted_create_makes_one_credential_and_leads_to_its_secret() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = h.new_credential_path();
    let html = admin.html(&page).await;
    let (token, id) = (csrf_of(&html), request_id_of(&html));
    let fields = [
        ("name", "Once"),
        ("kind", "api_key"),
        ("request_id", id.as_str()),
    ];
    let first = admin.post(&page, &token, &fields).await;
    assert_eq!(first.status(), 303);
    let to = location(&first);
    assert!(to.ends_with("/secret"), "{to}");
    // The browser's resubmit: the same form again.
    let again = admin.post(&page, &token, &fields).await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), to, "led to the first one's result");
    assert_eq!(count(&app, &h), 1, "one credential");

    let shown = admin.get(&to).await;
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.unwrap();
    let key = input_value(&html, "secret");
    assert!(key.starts_with("agora_") && !to.contains(&key[7..20]));
    // A reload of the result page shows it again, for this session only.
    assert_eq!(input_value(&admin.html(&to).await, "secret"), key);
    let other = app.browser();
    assert_eq!(other.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    let html = other.html(&to).await;
    assert!(!html.contains(&key), "another session sees no secret");
    assert!(html.contains("View Credential"), "{html}");

    // Forty resubmits at once still make one credential.
    let id2 = request_id_of(&admin.html(&page).await);
    let fields = [
        ("name", "Burst"),
        ("kind", "api_key"),
        ("request_id", id2.as_str()),
    ];
    let answers = join_all((0..40).map(|_| admin.post(&page, &token, &fields))).await;
    assert!(
        answers
            .iter()
            .all(|r| r.status() == 303 || r.status() == 409)
    );
    assert_eq!(count(&app, &h), 2);
}

#[actix_web::test]
async fn a_form_shown_again_with_errors_can_be_sent_once_corrected() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = h.new_credential_path();
    let html = admin.html(&page).await;
    let (token, id) = (csrf_of(&html), request_id_of(&html));
    let bad = admin
        .post(
            &page,
            &token,
            &[("name", ""), ("kind", "api_key"), ("request_id", &id)],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let good = admin
        .post(
            &page,
            &token,
            &[("name", "Fixed"), ("kind", "api_key"), ("request_id", &id)],
        )
        .await;
    assert_eq!(good.status(), 303, "the id was given back with the errors");
    assert_eq!(count(&app, &h), 1);
}

#[actix_web::test]
async fn a_resubmitted_renewal_rotates_once_and_the_copied_secret_keeps_working() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let html = admin.html(&panel).await;
    let (token, rid) = (csrf_of(&html), request_id_of(&html));
    let renew = format!("{panel}/renew");
    // Without JavaScript: the confirm page carries the same request id on.
    let confirm = admin
        .post(&renew, &token, &[("grace", "none"), ("request_id", &rid)])
        .await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert_eq!(request_id_of(&confirm), rid);
    let fields = [
        ("confirmed", "yes"),
        ("grace", "none"),
        ("request_id", rid.as_str()),
    ];
    let first = admin.post(&renew, &token, &fields).await;
    let to = location(&first);
    let key = input_value(&admin.html(&to).await, "secret");
    let version = |app: &TestApp| {
        app.state
            .store
            .credential(id.parse::<CredentialId>().unwrap())
            .unwrap()
            .unwrap()
            .secret_version
    };
    assert_eq!(version(&app), 2);
    let again = admin.post(&renew, &token, &fields).await;
    assert_eq!(location(&again), to);
    assert_eq!(version(&app), 2, "renewed once");
    app.run_due().await;
    let res = authorize(
        &app,
        &[("X-API-Key", &key), ("X-Original-URI", "/weather/x")],
    )
    .await;
    assert_eq!(res.status(), 200, "the secret just copied still works");
}

#[actix_web::test]
async fn with_a_zero_view_window_the_secret_is_shown_exactly_once() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__EMBEDDED__VIEW_WINDOW", "0")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = h.new_credential_path();
    let res = admin
        .submit(&page, &page, &[("name", "Once"), ("kind", "api_key")])
        .await;
    let to = location(&res);
    let html = admin.html(&to).await;
    assert!(input_value(&html, "secret").starts_with("agora_"));
    assert!(html.contains("It is shown only now"), "{html}");
    let later = admin.get(&to).await;
    assert_eq!(later.headers()["cache-control"], "no-store");
    let later = later.text().await.unwrap();
    assert!(!later.contains("id=\"secret\""), "{later}");
    assert!(later.contains("was shown once"), "{later}");
    assert!(later.contains("Renew credential"), "what to do: {later}");
}
