//! The web side's limits, tried as an attacker would through the real
//! server: guesses under concurrency, re-authentication, forwarded
//! addresses, redirects after sign-in, costly markdown, stalled bodies and
//! bodies that are not forms.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use futures_util::future::join_all;

/// `n` fresh browsers, each on the sign-in page with its own CSRF token.
async fn ready_to_sign_in(app: &TestApp, n: usize) -> Vec<(Browser, String)> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let b = app.browser();
        let token = b.token("/login").await;
        out.push((b, token));
    }
    out
}

#[actix_web::test]
async fn forty_concurrent_guesses_check_no_more_passwords_than_the_limit() {
    let app = spawn_app_with(&[("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]).await;
    app.admin().await;
    let browsers = ready_to_sign_in(&app, 40).await;
    // The right password is among the guesses, sent all at once.
    let answers = join_all(
        browsers
            .iter()
            .enumerate()
            .map(|(i, (b, token))| async move {
                let password = if i == 20 {
                    ADMIN_PASSWORD
                } else {
                    "wrong password!"
                };
                b.post(
                    "/login",
                    token,
                    &[("email", ADMIN_EMAIL), ("password", password)],
                )
                .await
            }),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401 || **s == 303).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {statuses:?}"
    );
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    // Once they are spent, even the right password waits (unless it was one of the five).
    if !statuses.contains(&303) {
        let res = app.browser().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), 429);
    }

    // Forty wrong guesses at once, then the right password: refused.
    let app = spawn_app_with(&[("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]).await;
    app.admin().await;
    let browsers = ready_to_sign_in(&app, 40).await;
    let answers = join_all(browsers.iter().map(|(b, token)| {
        b.post(
            "/login",
            token,
            &[("email", ADMIN_EMAIL), ("password", "wrong password!")],
        )
    }))
    .await;
    let wrong = answers.iter().filter(|r| r.status() == 401).count();
    assert!(wrong <= 5, "{wrong} wrong passwords were checked");
    let res = app.browser().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
}

#[actix_web::test]
async fn password_confirmations_share_the_accounts_throttle() {
    let app = spawn_app_with(&[("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _, _) = admin.create_credential(&h, "Key", "api_key").await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let view = format!("{panel}/view");
    for _ in 0..2 {
        let res = admin
            .submit(&panel, &view, &[("password", "not it at all")])
            .await;
        assert_eq!(res.status(), 422);
    }
    let res = admin
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", "not it either"),
                ("password", "a new password 1"),
                ("password_again", "a new password 1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "the third wrong guess, on another form");
    let res = admin
        .submit(&panel, &view, &[("password", ADMIN_PASSWORD)])
        .await;
    assert_eq!(res.status(), 429, "even the right password waits");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Too many failed password attempts")
    );
    let res = admin
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", ADMIN_PASSWORD),
                ("password", "a new password 1"),
                ("password_again", "a new password 1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        429
    );
    app.advance(Duration::from_secs(15 * 60 + 1));
    let res = admin
        .submit(&panel, &view, &[("password", ADMIN_PASSWORD)])
        .await;
    assert_eq!(res.status(), 200, "the window has passed");
}

async fn guess_from(app: &TestApp, forwarded: &str, account: &str) -> u16 {
    let b = app.browser();
    let token = b.token("/login").await;
    b.client
        .post(format!("{}/login", app.base))
        .header("X-Forwarded-For", forwarded)
        .form(&[
            ("email", account),
            ("password", "wrong password!"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn the_client_address_is_the_one_the_trusted_proxy_added() {
    let app = spawn_app_with(&[
        ("AGORA_SERVER__TRUST_FORWARDED_FOR", "true"),
        ("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ADDRESS", "2"),
    ])
    .await;
    app.admin().await;
    // The client writes a fresh leftmost value each time; the proxy appends 203.0.113.7.
    assert_eq!(
        guess_from(&app, "198.51.100.1, 203.0.113.7", "a@example.com").await,
        401
    );
    assert_eq!(
        guess_from(&app, "198.51.100.2, 203.0.113.7", "b@example.com").await,
        401
    );
    assert_eq!(
        guess_from(&app, "198.51.100.3, 203.0.113.7", "c@example.com").await,
        429
    );
    assert_eq!(
        guess_from(&app, "203.0.113.8", "d@example.com").await,
        401,
        "another client"
    );

    // Two proxies in front: the address the outer one added counts.
    let app = spawn_app_with(&[
        ("AGORA_SERVER__TRUST_FORWARDED_FOR", "true"),
        ("AGORA_SERVER__FORWARDED_HOPS", "2"),
        ("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ADDRESS", "2"),
    ])
    .await;
    app.admin().await;
    for (forwarded, expected) in [
        ("1.1.1.1, 203.0.113.7, 10.0.0.2", 401),
        ("2.2.2.2, 203.0.113.7, 10.0.0.3", 401),
        ("3.3.3.3, 203.0.113.7, 10.0.0.2", 429),
        ("203.0.113.9, 10.0.0.2", 401),
    ] {
        assert_eq!(
            guess_from(&app, forwarded, "x@example.com").await,
            expected,
            "{forwarded}"
        );
    }
}

#[actix_web::test]
async fn after_sign_in_only_a_path_on_this_site_is_followed() {
    let app = spawn_app().await;
    app.admin().await;
    for (next, expected) in [
        ("/teams", "/teams"),
        ("/admin/teams?page=2", "/admin/teams?page=2"),
        ("//evil.example/", "/"),
        ("/\t/evil.example/", "/"),
        ("/\n/evil.example/", "/"),
        ("\t//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("\\\\evil.example/", "/"),
        ("/teams\r\nSet-Cookie: x=1", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        (" /teams", "/"),
        ("/tëams", "/"),
    ] {
        let b = app.browser();
        let res = b
            .submit(
                "/login",
                "/login",
                &[
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{next:?}");
        assert_eq!(location(&res), expected, "{next:?}");
    }
}

#[actix_web::test]
async fn a_description_nested_too_deep_is_refused_and_a_good_one_is_rendered_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Provider").await;
    admin.make_provider(&team).await;
    let page = format!("/provider/{team}/products/new");
    let deep = ">".repeat(20_000);
    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Deep"),
                ("summary", "Nested quotes"),
                ("description", &deep),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Nest quotes, lists and emphasis at most 16 deep."),
        "{html}"
    );
    assert!(
        html.contains("&gt;&gt;&gt;") || html.contains("&#62;&#62;&#62;"),
        "the input is kept"
    );

    let product = admin
        .create_product(&team, "Weather", "Forecasts", "demo")
        .await;
    let id: agora::domain::ids::ProductId = product.parse().unwrap();
    let stored = app.state.store.product(id).unwrap().unwrap();
    assert!(stored.description_html.is_some(), "rendered when saved");
}

#[actix_web::test]
async fn a_stalled_body_is_timed_out_and_its_connection_closed() {
    let app = spawn_app_with(&[("AGORA_SERVER__BODY_TIMEOUT", "1s")]).await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
        )
        .unwrap();
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(waited < Duration::from_secs(8), "answered after {waited:?}");
}

#[actix_web::test]
async fn bodies_that_are_not_forms_get_a_clear_415() {
    let app = spawn_app().await;
    app.admin().await;
    let b = app.browser();
    let token = b.token("/login").await;
    for (kind, body) in [
        (
            "application/json",
            format!("{{\"email\":\"a\",\"csrf\":\"{token}\"}}"),
        ),
        (
            "multipart/form-data; boundary=x",
            format!(
                "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--x--\r\n"
            ),
        ),
        ("text/plain", format!("csrf={token}")),
    ] {
        let res = b
            .client
            .post(format!("{}/login", app.base))
            .header("Content-Type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{kind}");
        let html = res.text().await.unwrap();
        assert!(html.contains("takes HTML form posts"), "{html}");
        assert!(!html.contains("Form expired"), "{html}");
    }
}

/// `n` characters of four UTF-8 bytes each, percent-encoded to 12 bytes,
/// starting from the code point `from` (so texts can differ).
fn wide(n: usize, from: u32) -> String {
    (0..n)
        .map(|i| char::from_u32(0x1_F300 + (from + i as u32) % 0x200).unwrap())
        .collect()
}

/// Every form filled to its fields' own limits is taken: the resource
/// form with 20 request fields of 50 options each (its largest) and a
/// product's 20,000-character description, every character four bytes.
/// A body beyond the server's limit gets a page that says the limit.
#[actix_web::test]
async fn a_form_filled_to_its_fields_limits_fits_and_a_larger_one_is_told_the_limit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Wide provider").await;
    admin.make_provider(&team).await;
    let page = format!("/provider/{team}/products/new");
    let description = wide(20_000, 0);
    let fields = [
        ("name", "Wide"),
        ("summary", &wide(200, 7) as &str),
        ("description", &description),
        ("tags", "wide"),
    ];
    let res = admin.submit(&page, &page, &fields).await;
    assert_eq!(res.status(), 303, "a 240 KB description fits");
    let product = location(&res).rsplit('/').next().unwrap().to_owned();

    let mut owned: Vec<(String, String)> = vec![
        ("name".into(), wide(80, 3)),
        ("description".into(), wide(2_000, 5)),
        ("route".into(), "/wide".into()),
        ("dataplane".into(), "embedded".into()),
        ("credential_types".into(), "api_key".into()),
        ("access_approval".into(), "automatic".into()),
        ("rows".into(), "20".into()),
        ("action".into(), "save".into()),
    ];
    for i in 0..20u32 {
        let options: Vec<String> = (0..50).map(|o| wide(80, i * 50 + o)).collect();
        owned.extend([
            (
                format!("f{i}_name"),
                format!("field_{}", char::from(b'a' + i as u8)),
            ),
            (format!("f{i}_label"), wide(80, i)),
            (format!("f{i}_kind"), "select".into()),
            (format!("f{i}_required"), "on".into()),
            (format!("f{i}_options"), options.join("\r\n")),
            (format!("f{i}_help"), wide(300, i)),
        ]);
    }
    let fields: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let encoded = serde_html_form::to_string(&fields).unwrap().len();
    assert!(
        encoded > 1_000_000,
        "the form is as large as it gets: {encoded}"
    );
    let page = format!("/provider/{team}/products/{product}/resources/new");
    let res = admin.submit(&page, &page, &fields).await;
    assert_eq!(res.status(), 303, "a {encoded}-byte resource form fits");

    // Beyond the limit: a page that says it, not a bare line.
    let page = format!("/provider/{team}/products/new");
    let huge = "a".repeat(1_310_721);
    let res = admin
        .submit(&page, &page, &[("name", "Huge"), ("description", &huge)])
        .await;
    let html = expect_page(res, 413, "at most 1.25 MiB in all").await;
    assert!(
        html.contains("Go back") && html.contains("Nothing was saved"),
        "{html}"
    );
    assert!(
        html.contains("<html") || html.contains("<!DOCTYPE"),
        "{html}"
    );
    app.stop().await;
}
