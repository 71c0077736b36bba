//! The webhook data plane against an agent on 127.0.0.1 that can be told to
//! be down, flaky, slow or repeating itself: nothing is lost or duplicated,
//! and everything converges without a click.

mod common;

use std::time::{Duration, Instant};

use agora::domain::credential::{Desired, Observed};
use agora::domain::ids::CredentialId;
use common::agent::{Agent, GwPlane, spawn_with_agent, start_agent};
use common::*;

/// A test app whose webhook plane calls a test agent, retrying every 2 s
/// up to 30 s apart, 30 attempts at most.
async fn with_agent(extra: &[(&str, &str)]) -> (TestApp, Agent, GwPlane) {
    spawn_with_agent("30", extra).await
}

fn credential(app: &TestApp, id: &str) -> agora::domain::credential::Credential {
    app.state
        .store
        .credential(id.parse::<CredentialId>().unwrap())
        .unwrap()
        .expect("credential")
}

/// Lets time pass and the engine run until nothing is due or `rounds` pass.
async fn settle(app: &TestApp, rounds: usize) {
    for _ in 0..rounds {
        app.run_due().await;
        app.advance(Duration::from_secs(31));
    }
    app.run_due().await;
}

#[actix_web::test]
async fn the_agent_receives_signed_documents_and_agora_made_secrets() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let (id, key, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let c = credential(&app, &id);
    assert_eq!((c.desired, c.observed), (Desired::Active, Observed::Active));
    let seen = agent.seen.lock().unwrap();
    assert_eq!(seen.bad_signatures, 0);
    let ops: Vec<_> = seen.deliveries.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["grant", "provision"]);
    let (active, version, secret) = seen.credentials[c.key_id.as_str()].clone();
    assert!(active && version == 1);
    let secret = secret.expect("the secret Agora made");
    assert!(
        key.contains(&secret),
        "the agent got the secret of the key the user saw"
    );
    assert!(
        c.agent_secret.is_none(),
        "the sealed copy for the agent is gone once installed"
    );
}

#[actix_web::test]
async fn unsigned_or_stale_calls_are_refused_by_the_agent() {
    let agent = start_agent();
    let client = reqwest::Client::new();
    let body = br#"{"operation":"grant"}"#.to_vec();
    let res = client
        .post(&agent.url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "unsigned");
    let ts = 1_000;
    let stale = agora::dataplane::webhook::signature(&agent.secret, ts, &body);
    let clock = agora::clock::ManualClock::at_test_epoch();
    agent.use_clock(clock);
    let res = client
        .post(&agent.url)
        .header("X-Agora-Timestamp", ts.to_string())
        .header("X-Agora-Signature", stale)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "stale");
}

#[actix_web::test]
async fn an_outage_leaves_work_pending_and_it_converges_when_the_agent_returns() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.down = true);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            admin
                .create_credential(&h, &format!("key {i}"), "api_key")
                .await
                .0,
        );
    }
    settle(&app, 3).await;
    for id in &ids {
        assert_eq!(credential(&app, id).observed, Observed::Absent);
    }
    let panel = admin
        .html(&format!("/teams/{}/credentials/{}", h.c.team, ids[0]))
        .await;
    assert!(panel.contains("Pending"), "{panel}");
    assert!(panel.contains("waiting for data plane (attempt"), "{panel}");
    assert!(panel.contains(", next at "), "{panel}");

    agent.set(|m| m.down = false);
    settle(&app, 3).await;
    for id in &ids {
        let c = credential(&app, id);
        assert_eq!((c.observed, c.failed), (Observed::Active, false), "{id}");
    }
}

#[actix_web::test]
async fn a_flaky_agent_that_repeats_itself_still_sees_each_change_once() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| {
        m.fail_rate = 0.3;
        m.lose_answer_rate = 0.2;
    });
    let mut creds = Vec::new();
    for i in 0..8 {
        creds.push(
            admin
                .create_credential(&h, &format!("key {i}"), "api_key")
                .await
                .0,
        );
    }
    settle(&app, 2).await;
    // Change them around while the agent misbehaves.
    for (i, id) in creds.iter().enumerate() {
        let panel = format!("/teams/{}/credentials/{id}", h.c.team);
        let act = |what: &str| format!("{panel}/{what}");
        match i % 4 {
            0 => {
                admin
                    .submit(&panel, &act("suspend"), &[("confirmed", "yes")])
                    .await;
            }
            1 => {
                admin
                    .submit(&panel, &act("suspend"), &[("confirmed", "yes")])
                    .await;
                admin
                    .submit(&panel, &act("enable"), &[("confirmed", "yes")])
                    .await;
            }
            2 => {
                admin
                    .submit(
                        &panel,
                        &act("renew"),
                        &[("confirmed", "yes"), ("grace", "none")],
                    )
                    .await;
            }
            _ => {
                admin
                    .submit(&panel, &act("delete"), &[("confirmed", "yes")])
                    .await;
            }
        }
    }
    agent.set(|m| {
        m.fail_rate = 0.0;
        m.lose_answer_rate = 0.0;
    });
    settle(&app, 6).await;

    let seen = agent.seen.lock().unwrap();
    assert_eq!(seen.bad_signatures, 0);
    assert!(
        seen.applied.values().all(|n| *n == 1),
        "no key applied twice"
    );
    for (i, id) in creds.iter().enumerate() {
        let gone = app
            .state
            .store
            .credential(id.parse::<CredentialId>().unwrap())
            .unwrap()
            .is_none();
        if i % 4 == 3 {
            assert!(gone, "deleted {id}");
            continue;
        }
        let c = credential(&app, id);
        assert_eq!(c.next_op(), None, "{id} converged");
        assert!(!c.failed);
        let (active, version, _) = seen.credentials[c.key_id.as_str()].clone();
        assert_eq!(active, c.desired == Desired::Active, "{id}");
        assert_eq!(version, c.secret_version as u64, "{id}");
    }
    // Every intended change reached the agent once: one key per change made.
    let mut intended = 0;
    for id in &creds {
        let trail = app
            .state
            .store
            .subject_audit(
                agora::domain::audit::Subject::Credential(id.parse().unwrap()),
                100,
            )
            .unwrap();
        intended += trail
            .iter()
            .filter(|r| r.detail.contains(" done on gw"))
            .count();
    }
    let credential_keys = seen
        .applied
        .keys()
        .filter(|k| k.starts_with("credential:"))
        .count();
    assert_eq!(credential_keys, intended);
    assert!(
        seen.deliveries.len() > seen.applied.len(),
        "the agent did repeat itself"
    );
}

#[actix_web::test]
async fn a_slow_agent_is_retried_and_pages_stay_fast() {
    let (app, agent, _s) = with_agent(&[("AGORA_DATAPLANES__GW__TIMEOUT", "1s")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.delay = Duration::from_millis(1_500));
    let (id, _, _) = admin.create_credential(&h, "Slow", "api_key").await;
    // While the engine waits on the agent, a page answers at once.
    let run = app.run_due();
    let page = async {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        admin
            .html(&format!("/teams/{}/credentials/{id}", h.c.team))
            .await;
        started.elapsed()
    };
    let (_, took) = futures_util::join!(run, page);
    assert!(
        took < Duration::from_millis(900),
        "the page waited {took:?} for the agent"
    );
    let c = credential(&app, &id);
    assert_eq!(c.observed, Observed::Absent);
    assert!(
        c.last_error
            .unwrap_or_default()
            .contains("did not answer within 1 s")
    );
    agent.set(|m| m.delay = Duration::ZERO);
    settle(&app, 2).await;
    assert_eq!(credential(&app, &id).observed, Observed::Active);
}

#[actix_web::test]
async fn a_refusal_fails_with_the_agents_message_and_the_consumer_retries() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.refuse = true);
    let (id, _, _) = admin.create_credential(&h, "Refused", "api_key").await;
    app.run_due().await;
    let c = credential(&app, &id);
    assert!(c.failed);
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let html = admin.html(&panel).await;
    assert!(
        html.contains("route /weather/ is not on this gateway"),
        "{html}"
    );
    assert!(html.contains("Retry provisioning"));
    agent.set(|m| m.refuse = false);
    let res = admin.submit(&panel, &format!("{panel}/retry"), &[]).await;
    assert_eq!(res.status(), 303);
    app.run_due().await;
    let c = credential(&app, &id);
    assert_eq!((c.observed, c.failed), (Observed::Active, false));
}

#[actix_web::test]
async fn work_left_by_a_restart_resumes() {
    let agent = start_agent();
    let plane = GwPlane::for_agent(&agent);
    let env = plane.env();
    let app = spawn_app_with(&env).await;
    agent.use_clock(app.clock.clone());
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.down = true);
    let (id, _, _) = admin.create_credential(&h, "Survivor", "api_key").await;
    app.run_due().await;
    let dir = app.stop().await;
    agent.set(|m| m.down = false);
    let app = spawn_in(dir, &env).await;
    agent.use_clock(app.clock.clone());
    app.advance(Duration::from_secs(600));
    app.run_due().await;
    assert_eq!(credential(&app, &id).observed, Observed::Active);
}

#[actix_web::test]
async fn secrets_made_up_by_the_agent_are_kept_for_the_view_window() {
    let (app, _agent, _s) =
        with_agent(&[("AGORA_DATAPLANES__GW__GENERATES_SECRETS", "true")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let page = h.new_credential_path();
    let res = admin
        .submit(&page, &page, &[("name", "Agent key"), ("kind", "api_key")])
        .await;
    assert_eq!(res.status(), 303, "no secret page: the agent makes it up");
    let panel = location(&res);
    app.run_due().await;
    let res = admin.view_credential(&panel, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let secret = input_value(&res.text().await.unwrap(), "secret");
    assert!(
        secret.starts_with("agent-made-"),
        "shown as the agent gave it: {secret}"
    );
}

#[actix_web::test]
async fn what_the_agent_cannot_do_is_not_offered() {
    let (app, _agent, _s) = with_agent(&[
        ("AGORA_DATAPLANES__GW__SUSPEND", "false"),
        ("AGORA_DATAPLANES__GW__RENEW", "false"),
    ])
    .await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let (id, _, _) = admin.create_credential(&h, "Plain", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let html = admin.html(&panel).await;
    assert!(
        !html.contains("Suspend credential") && !html.contains("Renew credential"),
        "{html}"
    );
    assert!(html.contains("Delete credential"));
    let res = admin
        .submit(&panel, &format!("{panel}/suspend"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        credential(&app, &id).desired,
        Desired::Active,
        "not suspended"
    );
}
