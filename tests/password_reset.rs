//! Forgotten passwords against a real SMTP server (Debian's aiosmtpd): a
//! reset link serves only to reset a password, and a password change ends
//! it; the forgot form answers in the same time whether the address has an
//! account or not; a reset can revoke the person's API tokens too.

mod common;

use std::time::{Duration, Instant};

use common::api::Api;
use common::mail::{Smtp, available, link_in, text_of};
use common::*;

async fn app_with(smtp: &Smtp) -> TestApp {
    let env = smtp.env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&pairs).await
}

/// Asks for a reset link for `email` and returns the path of the link the
/// new email brings.
async fn reset_path(app: &TestApp, smtp: &Smtp, email: &str) -> String {
    let before = smtp.messages();
    let res = app
        .browser()
        .submit("/password/forgot", "/password/forgot", &[("email", email)])
        .await;
    assert_eq!(res.status(), 200);
    let mail = smtp.wait_for(before.len() + 1).await;
    let new = mail
        .iter()
        .find(|m| !before.contains(m))
        .expect("a new email");
    assert!(text_of(new).contains(&format!("To: {email}")), "{new}");
    app.path_of(&link_in(new, "/password/reset/"))
}

const NEW_PASSWORD: &str = "a brand new passphrase";

fn new_password() -> [(&'static str, &'static str); 2] {
    [("password", NEW_PASSWORD), ("password_again", NEW_PASSWORD)]
}

#[actix_web::test]
async fn a_reset_link_is_unknown_to_the_invitation_page_and_an_invitation_link_to_the_reset_page() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let reset = reset_path(&app, &smtp, ADMIN_EMAIL).await;
    let token = reset.trim_start_matches("/password/reset/");

    // The reset link's token on the invitation page: not found, changes nothing.
    let b = app.browser();
    let as_invitation = format!("/invitations/{token}");
    expect_page(b.get(&as_invitation).await, 404, "Invitation not valid").await;
    let csrf = b.token("/password/forgot").await;
    let res = b.post(&as_invitation, &csrf, &new_password()).await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        admin.get("/account/password").await.status(),
        200,
        "the admin's session lives on"
    );
    assert_eq!(b.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(), 401);
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        303,
        "the password is unchanged"
    );
    // Refused there, the link still works where it belongs.
    assert_eq!(app.browser().get(&reset).await.status(), 200);

    // An invitation's token on the reset page: not found either.
    let link = admin.invite("nia@example.com", "Nia", None).await;
    let invitation = app.path_of(&link);
    let as_reset = format!(
        "/password/reset/{}",
        invitation.trim_start_matches("/invitations/")
    );
    let b = app.browser();
    assert_eq!(b.get(&as_reset).await.status(), 404);
    let csrf = b.token("/password/forgot").await;
    assert_eq!(
        b.post(&as_reset, &csrf, &new_password()).await.status(),
        404
    );
    assert_eq!(
        b.get(&invitation).await.status(),
        200,
        "still an invitation"
    );
    app.stop().await;
}

#[actix_web::test]
async fn changing_the_password_on_the_account_page_ends_every_reset_link() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let reset = reset_path(&app, &smtp, ADMIN_EMAIL).await;
    let res = admin
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", ADMIN_PASSWORD),
                ("password", "changed on the account page"),
                ("password_again", "changed on the account page"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    let b = app.browser();
    assert_eq!(b.get(&reset).await.status(), 404, "the link has ended");
    let csrf = b.token("/password/forgot").await;
    assert_eq!(b.post(&reset, &csrf, &new_password()).await.status(), 404);
    assert_eq!(b.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(), 401);
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, "changed on the account page")
            .await
            .status(),
        303
    );
    app.stop().await;
}

/// The reset form for `path`, submitted with the new password and, when
/// `revoke` is given, the box that revokes the API tokens ticked.
async fn reset_with(app: &TestApp, path: &str, revoke: bool) -> String {
    let b = app.browser();
    let page = b.html(path).await;
    let mut fields = new_password().to_vec();
    if revoke {
        fields.push(("revoke_tokens", "yes"));
    }
    let res = b.submit(path, path, &fields).await;
    assert_eq!(res.status(), 303);
    page
}

#[actix_web::test]
async fn a_reset_revokes_the_persons_api_tokens_when_the_box_stays_ticked() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let ci = Api::new(&app.base, &admin.personal_token("CI", "read", None).await);
    let deploy = Api::new(
        &app.base,
        &admin.personal_token("Deploy", "read-write", None).await,
    );
    assert_eq!(ci.get("/teams").await.0, 200);

    let reset = reset_path(&app, &smtp, ADMIN_EMAIL).await;
    let page = reset_with(&app, &reset, true).await;
    assert!(
        page.contains("Also revoke my API tokens (2)"),
        "the form offers it, with the count: {page}"
    );
    let at = page.find("name=\"revoke_tokens\"").expect("the box");
    let tag = &page[page[..at].rfind('<').unwrap()..at + page[at..].find('>').unwrap()];
    assert!(tag.contains("checked"), "ticked by default: {tag}");

    assert_eq!(ci.get("/teams").await.0, 401, "revoked");
    assert_eq!(deploy.get("/teams").await.0, 401, "revoked");
    let b = app.browser();
    assert_eq!(b.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(), 303);
    let tokens = b.html("/account/tokens").await;
    assert!(!tokens.contains("Deploy"), "{tokens}");
    app.stop().await;
}

#[actix_web::test]
async fn a_reset_keeps_the_persons_api_tokens_when_the_box_is_cleared() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    let admin = app.admin().await;
    let ci = Api::new(&app.base, &admin.personal_token("CI", "read", None).await);
    let reset = reset_path(&app, &smtp, ADMIN_EMAIL).await;
    reset_with(&app, &reset, false).await;
    assert_eq!(ci.get("/teams").await.0, 200, "the token still works");
    assert_eq!(
        admin.get("/account/password").await.status(),
        303,
        "but every session has ended"
    );
    app.stop().await;
}

/// A small xorshift generator: the order of the timed requests changes
/// from run to run, yet needs no extra crate.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The probability that a time of `a` exceeds one of `b` (ties count
/// half): the Mann-Whitney statistic over `a.len() * b.len()`. About 0.5
/// when both come from one distribution, near 1 when `a` is slower.
fn slower_share(a: &[Duration], b: &[Duration]) -> f64 {
    let mut wins = 0.0;
    for x in a {
        for y in b {
            wins += match x.cmp(y) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    wins / (a.len() * b.len()) as f64
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    t[t.len() / 2]
}

#[actix_web::test]
async fn the_forgot_form_answers_as_fast_for_an_address_without_an_account() {
    if !available() {
        return;
    }
    let smtp = Smtp::start();
    let app = app_with(&smtp).await;
    app.admin().await;
    let b = app.browser();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut order = Shuffle(seed);
    // Each hour allows three links per account and ten requests per client
    // address: every request of a round does its whole work, none is
    // stopped early by the throttle.
    const ROUNDS: usize = 50;
    const EACH: usize = 3;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS + 1 {
        app.advance(Duration::from_secs(3_600));
        let csrf = b.token("/password/forgot").await;
        let mut asks: Vec<Option<String>> = (0..EACH)
            .map(|i| Some(format!("nobody{round}-{i}@example.com")))
            .chain((0..EACH).map(|_| None))
            .collect();
        order.shuffle(&mut asks);
        for ask in asks {
            let email = ask.as_deref().unwrap_or(ADMIN_EMAIL);
            let started = Instant::now();
            let res = b.post("/password/forgot", &csrf, &[("email", email)]).await;
            let status = res.status();
            let body = res.text().await.unwrap();
            let took = started.elapsed();
            assert_eq!(status, 200);
            assert!(body.contains("If an account exists"), "{body}");
            // The first round warms up connections and caches.
            if round > 0 {
                if ask.is_some() {
                    &mut unknown
                } else {
                    &mut known
                }
                .push(took);
            }
        }
    }
    let share = slower_share(&known, &unknown);
    let report = format!(
        "an account's answer is the slower in {:.0}% of pairs; medians {:?} with an account, {:?} without",
        share * 100.0,
        median(&known),
        median(&unknown)
    );
    eprintln!("{report}");
    // Under one distribution the share is 0.5 give or take 0.034 (one
    // standard deviation for 150 against 150): 0.35–0.65 is over four.
    assert!((0.35..=0.65).contains(&share), "{report}");

    // Every request for the account brought its email; no other address
    // got one. Once the requests are dealt with, their emails are all in
    // the outbox; once it is empty, all have arrived.
    app.state.resets.settled().await;
    let started = Instant::now();
    while app.state.store.deliveries_due() > 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "mail is sent");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = smtp.messages();
    assert_eq!(mail.len(), (ROUNDS + 1) * EACH);
    for m in &mail {
        let m = text_of(m);
        assert!(m.contains(&format!("To: {ADMIN_EMAIL}")), "{m}");
        assert!(m.contains("/password/reset/"), "{m}");
    }
    app.stop().await;
}
