//! Canary values (passwords, invitation tokens, session ids) must never reach
//! the log, even with Agora's own logging at its most verbose.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn passwords_tokens_and_session_ids_never_reach_the_log() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("agora=trace,info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let app = spawn_app().await;
    let canary_admin = "CANARY-admin-password-7f3a";
    let b = app.browser();
    let res = b
        .submit(
            "/setup",
            "/setup",
            &[
                ("email", "canary@example.com"),
                ("display_name", "Canary"),
                ("password", canary_admin),
                ("password_again", canary_admin),
            ],
        )
        .await;
    let session_cookie = session_cookie(&res);
    let session_id =
        session_cookie["agora_session=".len()..session_cookie.find(';').unwrap()].to_owned();
    let res = b
        .submit(
            "/admin/teams/new",
            "/admin/teams/new",
            &[("name", "Canaries"), ("admin_email", "canary@example.com")],
        )
        .await;
    let team = location(&res).trim_start_matches("/teams/").to_owned();
    let link = b
        .invite("bird@example.com", "Bird", Some((&team, "developer")))
        .await;
    let invitation_token = link.rsplit('/').next().unwrap().to_owned();
    let path = &app.path_of(&link);
    let canary_member = "CANARY-member-password-91c2";
    let bird = app.browser();
    bird.submit(
        path,
        path,
        &[
            ("password", canary_member),
            ("password_again", canary_member),
        ],
    )
    .await;
    let wrong = "CANARY-wrong-password-0d4e";
    app.browser().login("canary@example.com", wrong).await;
    b.submit(
        "/account/password",
        "/account/password",
        &[
            ("current", canary_admin),
            ("password", "CANARY-new-password-55aa"),
            ("password_again", "CANARY-new-password-55aa"),
        ],
    )
    .await;
    let csrf = b.token("/").await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("answered"), "the log was captured: {text}");
    assert!(
        text.contains("invitation accepted") && text.contains("sign-in refused"),
        "{text}"
    );
    for secret in [
        canary_admin,
        canary_member,
        wrong,
        "CANARY",
        &session_id,
        &invitation_token,
        &csrf,
    ] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into the log:\n{text}"
        );
    }
}
