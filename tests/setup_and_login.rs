mod common;

use std::time::Duration;

use common::*;

#[actix_web::test]
async fn the_first_visit_leads_to_setup_and_setup_happens_once() {
    let app = spawn_app().await;
    let b = app.browser();
    let res = b.get("/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/setup");
    assert_eq!(location(&b.get("/login").await), "/setup");

    let admin = app.admin().await;
    let home = admin.html("/").await;
    assert!(home.contains("Welcome, Ada Admin"), "{home}");
    assert!(home.contains("Agora is ready"), "flash shown once: {home}");
    assert!(
        !admin.html("/").await.contains("Agora is ready"),
        "flash is gone after one page"
    );

    // Gone for everyone, and a replayed form changes nothing.
    assert_eq!(b.get("/setup").await.status(), 404);
    assert_eq!(admin.get("/setup").await.status(), 404);
    let token = csrf_of(&b.html("/login").await);
    let replay = b
        .post(
            "/setup",
            &token,
            &[
                ("email", "mallory@example.com"),
                ("display_name", "M"),
                ("password", "mallory password"),
                ("password_again", "mallory password"),
            ],
        )
        .await;
    assert_eq!(replay.status(), 404);
    assert_eq!(app.state.store.users().unwrap().len(), 1);
}

#[actix_web::test]
async fn setup_shows_each_problem_beside_its_field_and_keeps_the_input() {
    let app = spawn_app().await;
    let b = app.browser();
    let res = b
        .submit(
            "/setup",
            "/setup",
            &[
                ("email", "not-an-email"),
                ("display_name", "Ada"),
                ("password", "short"),
                ("password_again", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"email-error\">Enter an email address like name@example.com."),
        "{html}"
    );
    assert!(
        html.contains("id=\"password-error\">Use at least 10 characters."),
        "{html}"
    );
    assert!(html.contains("value=\"not-an-email\""), "input kept");
    assert!(html.contains("value=\"Ada\""), "input kept");
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never echoed"
    );
    assert!(!app.state.store.has_users());
}

#[actix_web::test]
async fn sign_in_and_sign_out() {
    let app = spawn_app().await;
    app.admin().await;
    let b = app.browser();
    assert_eq!(location(&b.get("/").await), "/login");
    let res = b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    let cookie = session_cookie(&res);
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "not Secure unless configured");
    assert!(b.html("/").await.contains("Sign out"));

    let res = b.submit("/", "/logout", &[]).await;
    assert_eq!(location(&res), "/login");
    assert_eq!(location(&b.get("/").await), "/login");
    assert!(b.html("/login").await.contains("You are signed out."));
}

#[actix_web::test]
async fn a_wrong_password_or_unknown_account_is_refused_alike() {
    let app = spawn_app().await;
    app.admin().await;
    let b = app.browser();
    for (email, pw) in [
        (ADMIN_EMAIL, "wrong password!"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ] {
        let res = b.login(email, pw).await;
        assert_eq!(res.status(), 401);
        let html = res.text().await.unwrap();
        assert!(html.contains("Wrong email or password."), "{html}");
        assert!(html.contains(&format!("value=\"{email}\"")), "email kept");
    }
    assert_eq!(location(&b.get("/").await), "/login");
}

#[actix_web::test]
async fn failed_sign_ins_are_throttled_per_account_until_the_window_passes() {
    let app = spawn_app_with(&[("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    app.admin().await;
    let b = app.browser();
    for _ in 0..3 {
        assert_eq!(b.login(ADMIN_EMAIL, "wrong password!").await.status(), 401);
    }
    let res = b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429, "even the right password waits");
    assert_eq!(res.headers()["retry-after"], "900");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many failed password attempts. Try again in 15 minutes.")
    );
    app.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
}

#[actix_web::test]
async fn failed_sign_ins_are_throttled_per_address_across_accounts() {
    let app = spawn_app_with(&[("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ADDRESS", "4")]).await;
    app.admin().await;
    let b = app.browser();
    for i in 0..4 {
        assert_eq!(
            b.login(&format!("guess{i}@example.com"), "whatever pw")
                .await
                .status(),
            401
        );
    }
    assert_eq!(b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 429);
}

#[actix_web::test]
async fn a_session_ends_after_the_idle_timeout_and_after_its_lifetime() {
    let app = spawn_app_with(&[
        ("AGORA_SECURITY__SESSION_IDLE_TIMEOUT", "30m"),
        ("AGORA_SECURITY__SESSION_LIFETIME", "2h"),
    ])
    .await;
    let admin = app.admin().await;
    app.advance(Duration::from_secs(29 * 60));
    assert_eq!(
        admin.get("/").await.status(),
        200,
        "activity within the idle window"
    );
    app.advance(Duration::from_secs(31 * 60));
    let res = admin.get("/admin/teams").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=/admin/teams");
    assert!(
        admin
            .html("/login?next=/admin/teams")
            .await
            .contains("Your session has ended")
    );

    // Active all along, a session still ends at its lifetime.
    let b = app.browser();
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for _ in 0..4 {
        app.advance(Duration::from_secs(25 * 60));
        assert_eq!(b.get("/").await.status(), 200);
    }
    app.advance(Duration::from_secs(25 * 60));
    assert_eq!(b.get("/").await.status(), 303);
}

#[actix_web::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site() {
    let app = spawn_app().await;
    app.admin().await;
    let b = app.browser();
    let res = b
        .submit(
            "/login?next=/admin/users",
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/users");
    let c = app.browser();
    let res = c
        .submit(
            "/login",
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/");
}

#[actix_web::test]
async fn the_session_id_changes_at_sign_in() {
    let app = spawn_app().await;
    app.admin().await;
    let b = app.browser();
    let first = b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let first_cookie = session_cookie(&first);
    // Signing in again from the same browser replaces the session.
    let token = b.token("/account/password").await;
    let second = b
        .post(
            "/login",
            &token,
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_ne!(session_cookie(&second), first_cookie);
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let old_value = first_cookie.split(';').next().unwrap();
    let res = stale
        .get(format!("{}/", app.base))
        .header("cookie", old_value)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/login",
        "the replaced session no longer works"
    );
}

#[actix_web::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let here = app.admin().await;
    let elsewhere = app.browser();
    elsewhere.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let res = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", "not my password"),
                ("password", "a brand new password"),
                ("password_again", "a brand new password"),
            ],
        )
        .await;
    expect_page(res, 422, "This is not your current password.").await;

    let res = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", ADMIN_PASSWORD),
                ("password", "a brand new password"),
                ("password_again", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(here.get("/").await.status(), 200, "this session stays");
    assert_eq!(
        location(&elsewhere.get("/").await),
        "/login",
        "the other session ended"
    );
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, "a brand new password")
            .await
            .status(),
        303
    );
}

#[actix_web::test]
async fn acknowledged_writes_survive_a_restart() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let dir = app.stop().await;
    let app = spawn_in(dir, &[]).await;
    let b = app.browser();
    assert_eq!(b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    assert!(
        b.html(&format!("/teams/{team}"))
            .await
            .contains("<h1>Payments</h1>")
    );
}
