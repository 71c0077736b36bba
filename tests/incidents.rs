//! Incident actions: a team suspends every credential of an application in
//! one confirmed action, a provider every credential of one consumer on a
//! product (over the API), and a signed leaked-key report suspends a live
//! key at once — while an unsigned, mis-signed or unknown report changes
//! nothing.

mod common;

use common::api::Api;
use common::*;
use serde_json::json;

async fn call(app: &TestApp, key: &str) -> u16 {
    authorize(
        app,
        &[("X-API-Key", key), ("X-Original-URI", "/weather/today")],
    )
    .await
    .status()
    .as_u16()
}

#[actix_web::test]
async fn an_application_s_credentials_are_suspended_in_one_confirmed_action() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, k1, _) = admin.create_credential(&h, "one", "api_key").await;
    let (_, k2, _) = admin.create_credential(&h, "two", "api_key").await;
    let (id3, k3, _) = admin.create_credential(&h, "three", "api_key").await;
    app.run_due().await;
    let p3 = format!("/teams/{}/credentials/{id3}", h.c.team);
    admin
        .submit(&p3, &format!("{p3}/suspend"), &[("confirmed", "yes")])
        .await;
    app.run_due().await;
    for k in [&k1, &k2] {
        assert_eq!(call(&app, k).await, 200);
    }
    let page = format!("/teams/{}/applications/{}", h.c.team, h.c.application);
    let action = format!("{page}/suspend-credentials");
    // Without JavaScript: a confirm page first, carrying the reason.
    let res = admin
        .submit(&page, &action, &[("reason", "Laptop stolen")])
        .await;
    let html = expect_page(res, 200, "Suspend every credential of Mobile?").await;
    assert!(html.contains("value=\"Laptop stolen\""));
    assert_eq!(call(&app, &k1).await, 200, "nothing changed yet");
    // Confirmed: the two active ones are suspended; the third is left.
    let res = admin
        .submit(
            &page,
            &action,
            &[("reason", "Laptop stolen"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = admin.html(&page).await;
    assert!(
        html.contains("Suspending 2 credential(s)") && html.contains("1 were not active"),
        "{html}"
    );
    for k in [&k1, &k2, &k3] {
        assert_eq!(call(&app, k).await, 403, "refused at once");
    }
    app.run_due().await;
    let html = admin.html(&page).await;
    assert_eq!(html.matches(">Inactive<").count(), 3, "{html}");
    assert!(html.contains("Laptop stolen"), "the reason shows");
    let notes = admin.html("/notifications").await;
    assert!(notes.contains("2 credential(s) of Mobile are being suspended: Laptop stolen"));
    // A reason is required.
    let res = admin
        .submit(&page, &action, &[("reason", " "), ("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(admin.html(&page).await.contains("Give a reason"));
    app.stop().await;
}

#[actix_web::test]
async fn a_provider_suspends_one_consumer_s_credentials_on_its_product_over_the_api() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "CI", "api_key").await;
    app.run_due().await;
    let l = &h.c.listing;
    let provider = Api::new(
        &app.base,
        &admin
            .team_token(&l.provider, "Incidents", "read-write")
            .await,
    );
    let path = format!(
        "/teams/{}/products/{}/consumers/{}/suspend-credentials",
        l.provider, l.product, h.c.team
    );
    let (status, body) = provider
        .post(&path, json!({"reason": "Abuse from this team"}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["suspending"].as_u64(), body["left"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(call(&app, &key).await, 403);
    // A consumer's token cannot do it, and another product or team is not found.
    let consumer = Api::new(
        &app.base,
        &admin
            .personal_token("C", "read-write", Some(&h.c.team))
            .await,
    );
    let (status, _) = consumer.post(&path, json!({"reason": "x"})).await;
    assert_eq!(status, 404);
    let other = format!(
        "/teams/{}/products/{}/consumers/{}/suspend-credentials",
        l.provider, l.product, l.provider
    );
    let (status, _) = provider.post(&other, json!({"reason": "x"})).await;
    assert_eq!(status, 404);
    let notes = admin.html("/notifications").await;
    assert!(notes.contains("Abuse from this team"), "{notes}");
    app.stop().await;
}

use common::leak_signature as sign;

async fn report(app: &TestApp, body: &str, signature: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/security/leaked-keys", app.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(s) = signature {
        req = req.header("X-Agora-Signature", s);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[actix_web::test]
async fn a_signed_leak_report_suspends_a_live_key_at_once_and_nothing_else() {
    let secret_dir = tempfile::tempdir().unwrap();
    let secret_file = secret_dir.path().join("leaks.secret");
    std::fs::write(&secret_file, format!("{LEAK_SECRET}\n")).unwrap();
    let file = secret_file.display().to_string();
    let app = spawn_app_with(&[("AGORA_SECURITY__LEAKED_KEYS_SECRET_FILE", &file)]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "Leaky", "api_key").await;
    let (_, other, _) = admin.create_credential(&h, "Safe", "api_key").await;
    app.run_due().await;
    // The key's id with another secret: a guess, not a leak.
    let (key_id, _) = agora::domain::key_format::parse_api_key(&other).unwrap();
    let forged =
        agora::domain::key_format::api_key(&key_id, &agora::domain::key_format::new_secret());
    let body = json!([
        {"token": key, "type": "agora_api_key", "url": "https://github.com/acme/app/blob/main/.env", "source": "content"},
        {"token": forged, "type": "agora_api_key", "url": "https://example.com", "source": "content"},
        {"token": "agora_not_a_key", "type": "agora_api_key", "url": "", "source": "content"},
    ])
    .to_string();

    // Unsigned or mis-signed: refused, nothing changes.
    assert_eq!(report(&app, &body, None).await.0, 401);
    assert_eq!(report(&app, &body, Some(&sign("other body"))).await.0, 401);
    assert_eq!(call(&app, &key).await, 200);

    let (status, answer) = report(&app, &body, Some(&sign(&body))).await;
    assert_eq!(status, 200, "{answer}");
    let labels: Vec<String> = serde_json::from_str::<serde_json::Value>(&answer)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["label"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        labels,
        ["true_positive", "false_positive", "false_positive"]
    );
    assert_eq!(call(&app, &key).await, 403, "suspended at once");
    assert_eq!(
        call(&app, &other).await,
        200,
        "a guessed secret suspends nothing"
    );
    let notes = admin.html("/notifications").await;
    assert!(
        notes.contains("Credential Leaky was found exposed at https://github.com/acme/app/blob/main/.env (content)"),
        "{notes}"
    );
    let panel = admin
        .html(&format!("/teams/{}/credentials/{id}", h.c.team))
        .await;
    assert!(
        panel.contains("reported exposed at https://github.com/acme/app/blob/main/.env"),
        "{panel}"
    );
    // Reported again: already suspended, so not a live key any more.
    let (_, again) = report(&app, &body, Some(&sign(&body))).await;
    assert!(again.contains("\"false_positive\"") && !again.contains("true_positive"));
    // A leaked API token is revoked, and its person told.
    let token = admin.personal_token("Laptop", "read-write", None).await;
    let api = Api::new(&app.base, &token);
    assert_eq!(api.get("/teams").await.0, 200);
    let body = json!([{"token": token, "type": "agora_api_token", "url": "https://gist.example/x", "source": "gist"}]).to_string();
    let (status, answer) = report(&app, &body, Some(&sign(&body))).await;
    assert_eq!(status, 200);
    assert!(answer.contains("true_positive"), "{answer}");
    assert_eq!(api.get("/teams").await.0, 401, "revoked");
    let notes = admin.html("/notifications").await;
    assert!(
        notes.contains("The API token Laptop was found exposed at https://gist.example/x (gist)"),
        "{notes}"
    );
    // Over 1 MiB: refused before it is read whole; a signature sent twice: refused.
    let big = format!("[{}]", "\"x\",".repeat(300_000));
    assert_eq!(report(&app, &big, Some(&sign(&big))).await.0, 413);
    let res = reqwest::Client::new()
        .post(format!("{}/security/leaked-keys", app.base))
        .header("X-Agora-Signature", sign("[]"))
        .header("X-Agora-Signature", sign("[]"))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Not JSON: a clear 400.
    assert_eq!(report(&app, "{", Some(&sign("{"))).await.0, 400);
    app.stop().await;
}

#[actix_web::test]
async fn without_a_configured_secret_reports_are_not_taken() {
    let app = spawn_app().await;
    let (status, _) = report(&app, "[]", Some(&sign("[]"))).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[actix_web::test]
async fn a_leaked_previous_secret_ends_its_grace_at_once_and_the_team_is_told_like_any_leak() {
    let secret_dir = tempfile::tempdir().unwrap();
    let secret_file = secret_dir.path().join("leaks.secret");
    std::fs::write(&secret_file, format!("{LEAK_SECRET}\n")).unwrap();
    let file = secret_file.display().to_string();
    let app = spawn_app_with(&[("AGORA_SECURITY__LEAKED_KEYS_SECRET_FILE", &file)]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let t = h.c.team.clone();
    let (id, old_key, _) = admin.create_credential(&h, "Rotated", "api_key").await;
    app.run_due().await;
    let api = Api::new(
        &app.base,
        &admin.personal_token("Ops", "read-write", Some(&t)).await,
    );
    let (status, _) = api
        .post(
            &format!("/teams/{t}/webhooks"),
            json!({"url": "https://hooks.example.com/agora", "events": ["credential.leaked"]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, renewed) = api
        .post(
            &format!("/teams/{t}/credentials/{id}/renew"),
            json!({"grace": "24h"}),
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    let new_key = renewed["secret"].as_str().unwrap().to_owned();
    app.run_due().await;
    assert_eq!(
        call(&app, &old_key).await,
        200,
        "the old secret is in its grace"
    );

    let body = json!([{"token": old_key, "type": "agora_api_key", "url": "https://github.com/acme/app/blob/main/.env", "source": "content"}]).to_string();
    let (status, answer) = report(&app, &body, Some(&sign(&body))).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"true_positive\""), "{answer}");
    assert_eq!(call(&app, &old_key).await, 401, "the grace ended at once");
    assert_eq!(call(&app, &new_key).await, 200, "the current secret works");
    app.run_due().await;
    assert_eq!(call(&app, &old_key).await, 401, "and stays refused");
    assert_eq!(call(&app, &new_key).await, 200);

    let (_, audit) = api.get(&format!("/teams/{t}/audit?limit=200")).await;
    let leak = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "credential.leak_reported")
        .unwrap_or_else(|| panic!("audited: {audit}"));
    assert!(
        leak["detail"].as_str().unwrap().contains("previous secret"),
        "{leak}"
    );
    let notes = admin.html("/notifications").await;
    assert!(
        notes.contains("The previous secret of credential Rotated was found exposed at https://github.com/acme/app/blob/main/.env (content)"),
        "{notes}"
    );
    let (_, hooks) = api.get(&format!("/teams/{t}/webhooks")).await;
    let endpoint = hooks["items"][0]["id"].as_str().unwrap().to_owned();
    let deliveries = format!("/teams/{t}/webhooks/{endpoint}/deliveries");
    let leaked = |v: &serde_json::Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["event"] == "credential.leaked")
            .count()
    };
    assert_eq!(leaked(&api.get(&deliveries).await.1), 1);

    // Reported again: the grace is over, so it is no live secret any more.
    let (_, again) = report(&app, &body, Some(&sign(&body))).await;
    assert!(again.contains("\"false_positive\""), "{again}");
    // The current secret leaked too: suspended, and the same event told.
    let body = json!([{"token": new_key, "type": "agora_api_key", "url": "https://gist.example/y", "source": "gist"}]).to_string();
    let (_, answer) = report(&app, &body, Some(&sign(&body))).await;
    assert!(answer.contains("\"true_positive\""), "{answer}");
    assert_eq!(call(&app, &new_key).await, 403, "suspended at once");
    assert_eq!(leaked(&api.get(&deliveries).await.1), 2);
    app.stop().await;
}
