//! Event webhooks against a real receiver in the test: a team admin
//! registers an endpoint (its secret shown once), Agora's events arrive
//! signed as Standard Webhooks specifies (checked here with the spec's
//! algorithm, written independently), carry no secret, are retried when
//! the receiver fails and sent again on Redeliver; a provider's endpoint
//! hears of access requests; an endpoint failing for days is disabled.

mod common;
#[path = "webhooks/events.rs"]
mod events;

use std::time::Duration;

use base64::Engine;
use common::api::Api;
use common::receiver::{Received, Receiver};
use common::*;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

/// The Standard Webhooks check: HMAC-SHA256 over `id.timestamp.body` with
/// the base64 key after `whsec_`, compared with each `v1,` signature.
fn verify(secret: &str, r: &Received) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    r.signature.split(' ').any(|s| s == expected)
}

async fn register(admin: &Browser, team: &str, url: &str, events: &[&str]) -> (String, String) {
    let page = format!("/teams/{team}/webhooks");
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let res = admin.submit(&page, &page, &fields).await;
    assert_eq!(res.status(), 303, "registered");
    let to = location(&res);
    assert!(to.ends_with("/shown"), "{to}");
    let id = to.split('/').rev().nth(1).unwrap().to_owned();
    let shown = admin.get(&to).await;
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.unwrap();
    let secret = input_value(&html, "secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    // Shown once: a reload does not show it again.
    let again = admin.html(&to).await;
    assert!(!again.contains(&secret) && again.contains("shown once"));
    (id, secret)
}

/// The receivers of these tests listen on 127.0.0.1.
const PRIVATE: (&str, &str) = ("AGORA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");

fn body(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

/// Polls `look` until it finds what it waits for. The receiver holds a call
/// a moment before the courier records its answer, so what a page shows of
/// a delivery is read after that record, not right after the call.
async fn until<T, F, Fut>(what: &str, mut look: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = std::time::Instant::now();
    loop {
        match look().await {
            Ok(found) => return found,
            Err(seen) => assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: {seen}"
            ),
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn events_arrive_signed_without_secrets_and_failures_are_retried_and_redelivered() {
    let app = spawn_app_with(&[PRIVATE]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let rx = Receiver::start();
    let (endpoint, secret) = register(
        &admin,
        &h.c.team,
        &rx.url,
        &["credential.created", "credential.suspended"],
    )
    .await;

    // A credential is created: the event arrives, signed, with no secret.
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    let call = rx.wait_for("credential.created").await;
    assert!(verify(&secret, &call), "the signature verifies: {call:?}");
    assert!(!verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &call));
    assert!(call.id.starts_with("msg_"));
    let b = body(&call);
    assert_eq!(b["data"]["credential"], id.as_str());
    assert_eq!(b["data"]["name"], "CI key");
    let secret_part = key.rsplit('_').next().unwrap();
    assert!(!call.body.contains(secret_part), "no secret in an event");
    // Not chosen: no call for it.
    app.run_due().await;
    assert!(
        !rx.calls()
            .iter()
            .any(|c| c.body.contains("credential.active"))
    );

    // The deliveries page lists it as delivered with the receiver's answer.
    let show = format!("/teams/{}/webhooks/{endpoint}", h.c.team);
    let html = until("delivered", || async {
        let html = admin.html(&show).await;
        if html.contains("credential.created") && html.contains("Delivered") {
            Ok(html)
        } else {
            Err(html)
        }
    })
    .await;
    assert!(html.contains(">200<"));

    // The receiver fails: the delivery is retried, not lost.
    rx.answer(500);
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    admin
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    let failed = rx.wait_for("credential.suspended").await;
    assert!(verify(&secret, &failed));
    until("retrying", || async {
        let html = admin.html(&show).await;
        if html.contains("Retrying") && html.contains(">500<") {
            Ok(())
        } else {
            Err(html)
        }
    })
    .await;

    // It answers again; Redeliver sends the same message (same id) now.
    rx.answer(204);
    let delivery = failed.id.trim_start_matches("msg_").to_owned();
    let res = admin
        .submit(
            &show,
            &format!("{show}/deliveries/{delivery}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let started = std::time::Instant::now();
    while rx.calls().iter().filter(|c| c.id == failed.id).count() < 2 {
        assert!(started.elapsed() < Duration::from_secs(20), "redelivered");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    until("redelivered and recorded", || async {
        let html = admin.html(&show).await;
        if html.contains(">204<") {
            Ok(())
        } else {
            Err(html)
        }
    })
    .await;

    // A test event, on demand.
    admin.submit(&show, &format!("{show}/test"), &[]).await;
    let test = rx.wait_for("endpoint.test").await;
    assert!(verify(&secret, &test));
    app.stop().await;
}

#[actix_web::test]
async fn a_providers_endpoint_hears_of_requests_and_the_api_manages_endpoints() {
    let app = spawn_app_with(&[PRIVATE]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "manual").await;
    let provider = Api::new(
        &app.base,
        &admin
            .personal_token("Hooks", "read-write", Some(&c.listing.provider))
            .await,
    );
    let rx = Receiver::start();
    let (status, made) = provider
        .post(
            &format!("/teams/{}/webhooks", c.listing.provider),
            json!({"url": rx.url, "events": ["access.requested"]}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    let endpoint = made["id"].as_str().unwrap().to_owned();
    // The secret is in that answer only.
    let (_, got) = provider
        .get(&format!(
            "/teams/{}/webhooks/{endpoint}",
            c.listing.provider
        ))
        .await;
    assert!(got.get("secret").is_none(), "{got}");
    // Bad input is a field error.
    let (status, bad) = provider
        .post(
            &format!("/teams/{}/webhooks", c.listing.provider),
            json!({"url": "ftp://example.com/in", "events": ["credential.stolen"]}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad["errors"]["url"].is_string() && bad["errors"]["events"].is_string());

    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    let call = rx.wait_for("access.requested").await;
    assert!(verify(&secret, &call));
    assert_eq!(body(&call)["data"]["application"], c.application.as_str());

    let deliveries = format!(
        "/teams/{}/webhooks/{endpoint}/deliveries",
        c.listing.provider
    );
    let d = until("the delivery recorded", || async {
        let (status, list) = provider.get(&deliveries).await;
        assert_eq!(status, 200, "{list}");
        let d = list["items"][0].clone();
        if d["attempts"].as_u64() == Some(1) {
            Ok(d)
        } else {
            Err(list.to_string())
        }
    })
    .await;
    assert_eq!(d["event"], "access.requested");
    assert_eq!(d["state"], "delivered");

    // Another team's endpoint is not found; the consumer team cannot see it.
    let consumer = Api::new(
        &app.base,
        &admin.personal_token("C", "read-write", Some(&c.team)).await,
    );
    let (status, _) = consumer
        .get(&format!("/teams/{}/webhooks/{endpoint}", c.team))
        .await;
    assert_eq!(status, 404);
    let (status, _) = provider
        .delete(&format!(
            "/teams/{}/webhooks/{endpoint}",
            c.listing.provider
        ))
        .await;
    assert_eq!(status, 204);
    app.stop().await;
}

#[actix_web::test]
async fn an_endpoint_failing_for_days_is_disabled_and_its_admins_are_told() {
    let app = spawn_app_with(&[PRIVATE]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let rx = Receiver::start();
    rx.answer(503);
    let (endpoint, _) = register(&admin, &h.c.team, &rx.url, &["credential.created"]).await;
    admin.create_credential(&h, "k1", "api_key").await;
    rx.wait_for("credential.created").await;
    // Failing since now; four days on, still failing: disabled.
    for _ in 0..4 {
        app.advance(Duration::from_secs(86_400));
        agora::courier::deliver_due(&app.state).await.unwrap();
    }
    let admin = {
        let b = app.browser();
        b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        b
    };
    let started = std::time::Instant::now();
    loop {
        let e = app
            .state
            .store
            .endpoint(endpoint.parse().unwrap())
            .unwrap()
            .unwrap();
        if !e.enabled {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "disabled");
        admin.create_credential(&h, "again", "api_key").await;
        agora::courier::deliver_due(&app.state).await.unwrap();
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let notes = admin.html("/notifications").await;
    assert!(
        notes.contains("is disabled: every delivery to it failed"),
        "{notes}"
    );
    let show = format!("/teams/{}/webhooks/{endpoint}", h.c.team);
    let html = admin.html(&show).await;
    assert!(html.contains("Disabled"), "{html}");
    // Fixed and enabled again.
    rx.answer(200);
    let res = admin
        .submit(
            &show,
            &show,
            &[
                ("url", &rx.url),
                ("events", "credential.created"),
                ("enable", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(admin.html(&show).await.contains("Enabled"));
    app.stop().await;
}
