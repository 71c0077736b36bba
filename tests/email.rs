//! Email against a real SMTP server (Debian's aiosmtpd on 127.0.0.1): the
//! notifications a person chose arrive with a link and no secret; an SMTP
//! outage delays mail and loses none; invitations go out by email while
//! the link is still shown to the admin; `agora send-test-email` checks
//! the settings for real.

mod common;

use std::time::Duration;

use common::mail::{Smtp, available, link_in, text_of};
use common::*;

async fn app_with(smtp: &Smtp) -> TestApp {
    let env = smtp.env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&pairs).await
}

async fn choose(b: &Browser, topics: &[&str]) {
    let fields: Vec<(&str, &str)> = topics.iter().map(|t| ("topics", *t)).collect();
    let res = b.submit("/account/email", "/account/email", &fields).await;
    assert_eq!(res.status(), 303, "saved");
}

#[actix_web::test]
async fn chosen_notifications_arrive_by_email_and_an_outage_loses_none() {
    if !available() {
        return;
    }
    let mut smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let page = admin.html("/account/email").await;
    assert!(page.contains("admin@example.com") && page.contains("Credentials"));
    choose(&admin, &["credentials"]).await;
    let h = app.holder(&admin, "embedded").await;

    // "Credential … is active" comes by email: a link, no secret.
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    let mail = smtp.wait_for(1).await;
    let m = text_of(&mail[0]);
    assert!(m.contains("To: admin@example.com"), "{m}");
    assert!(m.contains("From: Agora <agora@example.test>"), "{m}");
    assert!(m.contains("Subject: Credential CI key is active."), "{m}");
    assert!(
        m.contains(&format!("{}/teams/{}/credentials/{id}", app.base, h.c.team)),
        "{m}"
    );
    assert!(m.contains("text/html"), "plain text and HTML");
    let secret_part = key.rsplit('_').next().unwrap();
    assert!(!m.contains(secret_part), "no secret in an email");
    // Access decisions were not chosen: none of those came.
    assert!(!mail.iter().any(|x| x.contains("Subject: Access")));

    // The SMTP server is down: the email waits, and comes once it is back.
    smtp.pause();
    let (second, _, _) = admin.create_credential(&h, "Second", "api_key").await;
    app.run_due().await;
    let started = std::time::Instant::now();
    loop {
        let d = app
            .state
            .store
            .due_deliveries(app.state.clock.now().plus(Duration::from_secs(7_200)), 10)
            .unwrap();
        if d.iter().any(|d| d.attempts > 0) {
            assert!(
                d[0].last_error.as_deref().unwrap_or("").contains("SMTP"),
                "{:?}",
                d[0].last_error
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "an attempt failed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.resume();
    app.advance(Duration::from_secs(7_200));
    agora::courier::deliver_due(&app.state).await.unwrap();
    let mail = smtp.wait_for(2).await;
    assert_eq!(mail.len(), 2, "each email once");
    assert!(mail.iter().any(|m| text_of(m).contains(&second)));
    app.stop().await;
}

#[actix_web::test]
async fn invitations_go_out_by_email_and_the_link_is_still_shown() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let res = admin
        .submit(
            "/admin/users/new",
            "/admin/users/new",
            &[("email", "bea@example.com"), ("display_name", "Bea")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let shown = admin.html(&location(&res)).await;
    assert!(shown.contains("on its way to bea@example.com"), "{shown}");
    let link = attr_after(&shown, "id=\"invitation-link\" readonly value=\"").unwrap();
    let mail = smtp.wait_for(1).await;
    let m = text_of(&mail[0]);
    assert!(
        m.contains("To: bea@example.com") && m.contains(&link),
        "{m}"
    );
    assert!(m.contains("Subject: You are invited to Agora"));
    app.stop().await;
}

#[test]
fn send_test_email_checks_the_settings_for_real() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let run = |env: &[(&str, String)], to: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agora"));
        cmd.args(["send-test-email", to]).env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&smtp.env(), "ops@example.com");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sent a test email to ops@example.com"));
    let started = std::time::Instant::now();
    while smtp.messages().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(smtp.messages()[0].contains("Subject: Agora test email"));

    // A server that does not answer: one clear line, a failing exit.
    let mut down = smtp.env();
    down[1].1 = common::binary::free_port().to_string();
    let out = run(&down, "ops@example.com");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the test email was not sent"));
    // Without [smtp]: said so.
    let out = run(&[], "ops@example.com");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("email is not set up"));
}

#[actix_web::test]
async fn a_forgotten_password_is_reset_once_by_an_emailed_link_and_addresses_stay_secret() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let stranger = app.browser();
    async fn ask(b: &Browser, email: &str) -> String {
        let res = b
            .submit("/password/forgot", "/password/forgot", &[("email", email)])
            .await;
        assert_eq!(res.status(), 200);
        res.text().await.unwrap()
    }
    // Unknown and known addresses get the same answer.
    let unknown = ask(&stranger, "nobody@example.com").await;
    let known = ask(&stranger, ADMIN_EMAIL).await;
    let answer = |html: &str| {
        let at = html.find("If an account exists").expect("the answer");
        html[at..at + 120].to_owned()
    };
    assert_eq!(answer(&unknown), answer(&known));
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1, "only the real account gets mail");
    assert!(text_of(&mail[0]).contains(&format!("To: {ADMIN_EMAIL}")));
    let link = link_in(&mail[0], "/password/reset/");
    let path = app.path_of(&link);

    // The page is not cached; the new password works, the old one and the
    // admin's other session do not.
    let page = stranger.get(&path).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(
        page.headers()["referrer-policy"],
        "same-origin",
        "the link never leaves the site"
    );
    let res = stranger
        .submit(
            &path,
            &path,
            &[
                ("password", "a new passphrase here"),
                ("password_again", "a new passphrase here"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        admin.get("/account/password").await.status(),
        303,
        "old session ended"
    );
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        401,
        "the old password is refused"
    );
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, "a new passphrase here")
            .await
            .status(),
        303
    );
    // Once only.
    assert_eq!(stranger.get(&path).await.status(), 404);

    // Throttled: three links an hour per account, then none.
    for _ in 0..4 {
        ask(&stranger, ADMIN_EMAIL).await;
    }
    // Once the requests are dealt with, every email they made is in the
    // outbox; once the outbox is empty, every one of them has arrived.
    app.state.resets.settled().await;
    let started = std::time::Instant::now();
    while app.state.store.deliveries_due() > 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "mail is sent");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(smtp.messages().len(), 3, "1 + 2 more within the hour");
    app.stop().await;
}

#[actix_web::test]
async fn a_person_chooses_email_topics_over_the_api_too() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let api = common::api::Api::new(
        &app.base,
        &admin.personal_token("Mine", "read-write", None).await,
    );
    let (status, body) = api.get("/notifications/email").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email_on"], false);
    assert_eq!(body["topics"], serde_json::json!([]));
    let (status, body) = api
        .put(
            "/notifications/email",
            serde_json::json!({"topics": ["credentials", "gossip"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api
        .put(
            "/notifications/email",
            serde_json::json!({"topics": ["approvals", "credentials"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["topics"],
        serde_json::json!(["credentials", "approvals"])
    );
    // The pages show the same choice.
    assert!(
        admin
            .html("/account/email")
            .await
            .contains("does not send email")
    );
    let team = admin.create_team("Bots").await;
    let bot = common::api::Api::new(
        &app.base,
        &admin.team_token(&team, "Bot", "read-write").await,
    );
    assert_eq!(
        bot.get("/notifications/email").await.0,
        403,
        "a service token has no person"
    );
    app.stop().await;
}
