//! Every event type an endpoint can choose is sent when its change
//! happens: one journey through the real server makes each change, and a
//! receiver of the consumer team and one of the provider team, both
//! choosing every type, hear of it — verified, with the documented fields.
//! A type added to `EVENT_TYPES` without a sender fails here.

use std::sync::Arc;
use std::time::Duration;

use crate::common::fake_plane::FakePlane;
use agora::domain::access::Approval;
use agora::domain::ids::ApplicationId;
use agora::domain::webhook::EVENT_TYPES;

use super::*;

const DAY: Duration = Duration::from_secs(86_400);

/// The payload examples of docs/events.md (its `json` blocks), by type.
fn documented_payloads() -> Vec<(String, Value)> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md")).unwrap();
    doc.split("```json\n")
        .skip(1)
        .map(|block| {
            let json = block.split("```").next().unwrap();
            let v: Value = serde_json::from_str(json).expect("a documented payload parses");
            (v["type"].as_str().unwrap().to_owned(), v["data"].clone())
        })
        .collect()
}

/// The fields docs/events.md shows for `event`: its own example, or the
/// example of its family (`credential.*`, `access.*`, …).
fn documented_fields(docs: &[(String, Value)], event: &str) -> Vec<String> {
    let family = |t: &str| t.split('.').next().unwrap().to_owned();
    let example = (docs.iter().find(|(t, _)| t == event))
        .or_else(|| {
            docs.iter()
                .find(|(t, _)| family(t) == family(event) && !t.starts_with("endpoint."))
        })
        .unwrap_or_else(|| panic!("docs/events.md shows no payload for {event}"));
    let mut keys: Vec<String> = example.1.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

async fn signed_in(app: &TestApp) -> Browser {
    let b = app.browser();
    assert_eq!(b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    b
}

fn pending_access(app: &TestApp, application: &str) -> String {
    let id: ApplicationId = application.parse().unwrap();
    let all = app.state.store.accesses_of_app(id).unwrap();
    let a = all.iter().find(|a| a.approval == Approval::Pending);
    a.expect("a pending request").id.to_string()
}

#[actix_web::test]
async fn every_event_type_an_endpoint_can_choose_arrives_when_its_change_happens() {
    let fake = Arc::new(FakePlane::new("fake"));
    let dir = tempfile::tempdir().unwrap();
    let scanner = dir.path().join("leaks.secret");
    std::fs::write(&scanner, LEAK_SECRET).unwrap();
    let scanner = scanner.display().to_string();
    let env = [
        PRIVATE,
        ("AGORA_SECURITY__LEAKED_KEYS_SECRET_FILE", &scanner),
    ];
    let app = spawn_with_planes(dir, &env, vec![fake.clone()]).await;
    let admin = app.admin().await;

    // A provider whose plan and first resource are approved by hand; a
    // second resource lives on a data plane that can be made to fail.
    let provider = admin.create_team("Weather provider").await;
    admin.make_provider(&provider).await;
    let product = admin
        .create_product(&provider, "Weather", "Forecasts", "demo")
        .await;
    let forecast = admin
        .add_resource_on(
            &provider,
            &product,
            "Forecast",
            "/weather/",
            "manual",
            "embedded",
        )
        .await;
    let backup = admin
        .add_resource_on(
            &provider,
            &product,
            "Backup",
            "/backup/",
            "automatic",
            "fake",
        )
        .await;
    let plan = admin
        .add_plan(
            &provider,
            &product,
            "Standard",
            &[&forecast, &backup],
            "manual",
        )
        .await;
    let edit = format!("/provider/{provider}/products/{product}/plans/{plan}");
    let res = admin
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Standard"),
                ("per_minute", "100"),
                ("approval", "manual"),
                ("resources", &forecast),
                ("resources", &backup),
                ("max_days", "90"),
                ("default_days", "30"),
                ("at_expiry", "suspend"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "credentials live 30 days");
    assert_eq!(admin.publish(&provider, &product).await.status(), 303);
    let team = admin.create_team("Buyers").await;

    // Both teams listen to everything; a third endpoint keeps failing.
    let rx_team = Receiver::start();
    let rx_provider = Receiver::start();
    let rx_broken = Receiver::start();
    rx_broken.answer(503);
    let (ours, team_secret) = register(&admin, &team, &rx_team.url, &EVENT_TYPES).await;
    let (_, provider_secret) = register(&admin, &provider, &rx_provider.url, &EVENT_TYPES).await;
    let (broken, _) = register(&admin, &team, &rx_broken.url, &["credential.created"]).await;

    // Subscription: requested, rejected, requested again, approved.
    let approvals = format!("/provider/{provider}/approvals");
    let res = admin.subscribe(&product, &plan, &team).await;
    let first = last_id(&res);
    admin
        .submit(
            &approvals,
            &format!("/provider/{provider}/subscriptions/{first}/reject"),
            &[("reason", "Tell us more first")],
        )
        .await;
    let subscription = last_id(&admin.subscribe(&product, &plan, &team).await);
    assert_ne!(first, subscription);
    admin
        .submit(
            &approvals,
            &format!("/provider/{provider}/subscriptions/{subscription}/approve"),
            &[],
        )
        .await;

    // Access by hand: requested, rejected, requested again, approved.
    let application = admin.create_application(&team, "Mobile").await;
    let ask = |resource: String| {
        let (admin, product, application, subscription) =
            (&admin, &product, &application, &subscription);
        async move {
            admin
                .request_access(product, &resource, application, subscription, &[])
                .await
        }
    };
    ask(forecast.clone()).await;
    let rejected = pending_access(&app, &application);
    admin
        .submit(
            &approvals,
            &format!("/provider/{provider}/access/{rejected}/reject"),
            &[("reason", "Use the EU resource")],
        )
        .await;
    ask(forecast.clone()).await;
    let access = pending_access(&app, &application);
    admin
        .submit(
            &approvals,
            &format!("/provider/{provider}/access/{access}/approve"),
            &[],
        )
        .await;
    app.run_due().await;
    let h = Holder {
        c: Consumer {
            listing: Listing {
                provider: provider.clone(),
                product: product.clone(),
                resource: forecast.clone(),
                plan: plan.clone(),
            },
            team: team.clone(),
            subscription: subscription.clone(),
            application: application.clone(),
        },
        access,
    };

    // A credential's life: created, active, suspended, enabled, renewed.
    let mut keys = Vec::new();
    let (id, key, _) = admin.create_credential(&h, "CI key", "api_key").await;
    keys.push(key);
    app.run_due().await;
    let panel = format!("/teams/{team}/credentials/{id}");
    for action in ["suspend", "enable"] {
        admin
            .submit(
                &panel,
                &format!("{panel}/{action}"),
                &[("confirmed", "yes")],
            )
            .await;
        app.run_due().await;
    }
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[
                ("confirmed", "yes"),
                ("grace", "none"),
                ("lifetime_days", "30"),
            ],
        )
        .await;
    keys.push(input_value(&admin.secret_page(res).await, "secret"));
    app.run_due().await;
    // Another one is deleted.
    let (doomed, key, _) = admin.create_credential(&h, "Doomed", "api_key").await;
    app.run_due().await;
    // A secret scanner reports its key: credential.leaked.
    let report = json!([{"token": key, "type": "agora_api_key", "url": "https://example.com/leak", "source": "content"}]).to_string();
    let res = reqwest::Client::new()
        .post(format!("{}/security/leaked-keys", app.base))
        .header("content-type", "application/json")
        .header("X-Agora-Signature", leak_signature(&report))
        .body(report)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    keys.push(key);
    app.run_due().await;
    let doomed = format!("/teams/{team}/credentials/{doomed}");
    admin
        .submit(
            &doomed,
            &format!("{doomed}/delete"),
            &[("confirmed", "yes")],
        )
        .await;
    app.run_due().await;

    // On the failing data plane, provisioning gives up.
    ask(backup.clone()).await;
    app.run_due().await;
    let id: ApplicationId = application.parse().unwrap();
    let on_backup = (app.state.store.accesses_of_app(id).unwrap().into_iter())
        .find(|a| a.resource.to_string() == backup)
        .unwrap();
    fake.refuse(true);
    let h_backup = Holder {
        access: on_backup.id.to_string(),
        ..h
    };
    let (_, key, _) = admin
        .create_credential(&h_backup, "Backup key", "api_key")
        .await;
    keys.push(key);
    app.run_due().await;

    // The failing endpoint is failing since now (the courier said so).
    until("the broken endpoint failing", || async {
        let e = app.state.store.endpoint(broken.parse().unwrap()).unwrap();
        match e {
            Some(e) if e.failing_since.is_some() => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    // Days on: reminders, then the end of the lifetime; the endpoint that
    // failed all along is disabled.
    app.advance(28 * DAY);
    agora::scheduler::check_expiry(&app.state).await.unwrap();
    until("the broken endpoint disabled", || async {
        agora::courier::deliver_due(&app.state).await.unwrap();
        let e = app.state.store.endpoint(broken.parse().unwrap()).unwrap();
        match e {
            Some(e) if !e.enabled => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    app.advance(3 * DAY);
    agora::scheduler::check_expiry(&app.state).await.unwrap();
    app.run_due().await;

    // The team cancels: its accesses are revoked with the subscription.
    let admin = signed_in(&app).await;
    let show = format!("/teams/{team}/subscriptions/{subscription}");
    let res = admin
        .submit(
            &show,
            &format!("{show}/cancel"),
            &[("confirmed", "yes"), ("reason", "moving on")],
        )
        .await;
    assert_eq!(res.status(), 303);
    app.run_due().await;

    // A test event, on demand.
    let page = format!("/teams/{team}/webhooks/{ours}");
    admin.submit(&page, &format!("{page}/test"), &[]).await;

    let docs = documented_payloads();
    let secret_parts: Vec<&str> = keys.iter().map(|k| k.rsplit('_').next().unwrap()).collect();
    for (rx, secret, who) in [
        (&rx_team, &team_secret, "the team"),
        (&rx_provider, &provider_secret, "the provider"),
    ] {
        // The provider hears of its customers, not of the team's endpoints.
        let expected: Vec<&str> = (EVENT_TYPES.into_iter())
            .filter(|e| who == "the team" || !e.starts_with("endpoint."))
            .collect();
        until(&format!("every event type at {who}"), || async {
            let heard = rx.calls();
            let missing: Vec<&str> = (expected.iter().copied())
                .filter(|e| !heard.iter().any(|c| body(c)["type"] == *e))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("never sent: {missing:?}"))
            }
        })
        .await;
        for event in expected {
            let call = rx.wait_for(event).await;
            assert!(verify(secret, &call), "{who}: {event} verifies");
            let b = body(&call);
            assert_eq!(b["type"], event);
            let mut sent: Vec<String> = b["data"].as_object().unwrap().keys().cloned().collect();
            sent.sort();
            assert_eq!(
                sent,
                documented_fields(&docs, event),
                "{who}: {event} sends what docs/events.md shows: {b}"
            );
        }
        for call in rx.calls() {
            for s in &secret_parts {
                assert!(!call.body.contains(s), "no secret in {}", call.body);
            }
        }
    }
    let failed = body(&rx_team.wait_for("credential.failed").await);
    assert_eq!(failed["data"]["name"], "Backup key");
    assert_eq!(failed["data"]["state"], "Failed");
    let active = body(&rx_team.wait_for("credential.active").await);
    assert_eq!(active["data"]["state"], "Active");
    let disabled = body(&rx_team.wait_for("endpoint.disabled").await);
    assert_eq!(disabled["data"]["endpoint"], broken.as_str());
    assert_eq!(disabled["data"]["url"], rx_broken.url.as_str());
    app.stop().await;
}
