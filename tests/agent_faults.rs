//! The webhook data plane never diverges from the portal: a new desired
//! state replaces a failed task and reaches the agent, redirects are not
//! followed, an empty secret is refused, and whatever users, providers and
//! the agent do, once the agent accepts, it holds what the portal wants.

mod common;

use std::time::Duration;

use agora::clock::Clock;
use agora::domain::credential::{Credential, Desired, Observed};
use agora::domain::ids::CredentialId;
use common::agent::{Agent, GwPlane, spawn_with_agent, start_agent};
use common::*;

/// A test app whose webhook plane calls a test agent, retrying every 2 s
/// up to 30 s apart, 3 attempts at most.
async fn with_agent(extra: &[(&str, &str)]) -> (TestApp, Agent, GwPlane) {
    spawn_with_agent("3", extra).await
}

fn stored(app: &TestApp, id: &str) -> Option<Credential> {
    app.state
        .store
        .credential(id.parse::<CredentialId>().unwrap())
        .unwrap()
}

/// Lets time pass and the engine run, so every retry that is due is made.
async fn settle(app: &TestApp) {
    for _ in 0..6 {
        app.run_due().await;
        app.advance(Duration::from_secs(31));
    }
    app.run_due().await;
}

/// Whether the agent holds what the portal wants for credential `id`
/// (`key_id` names it on the agent); why not, otherwise.
fn agrees(app: &TestApp, agent: &Agent, id: &str, key_id: &str) -> Result<(), String> {
    let held = agent.seen.lock().unwrap().credentials.get(key_id).cloned();
    match (stored(app, id), held) {
        (None, None) => Ok(()),
        (None, Some(h)) => Err(format!("deleted in the portal, held by the agent: {h:?}")),
        (Some(c), held) => {
            let want = match c.desired {
                Desired::Deleted => None,
                Desired::Active => Some((true, u64::from(c.secret_version))),
                Desired::Inactive => Some((false, u64::from(c.secret_version))),
            };
            let have = held.map(|(active, version, _)| (active, version));
            if want == have && !c.failed && c.task.is_none() {
                Ok(())
            } else {
                Err(format!(
                    "portal wants {want:?} (failed {}, task {:?}, {:?}/{:?}), agent holds {have:?}",
                    c.failed, c.task, c.desired, c.observed
                ))
            }
        }
    }
}

fn panel(h: &Holder, id: &str) -> String {
    format!("/teams/{}/credentials/{id}", h.c.team)
}

/// Opens `page` and posts `fields` to `to`; 404 when the page is gone (the
/// engine runs in the background, so a deleted credential may just have
/// been removed).
async fn post_from(b: &Browser, page: &str, to: &str, fields: &[(&str, &str)]) -> u16 {
    let res = b.get(page).await;
    if res.status() == 404 {
        return 404;
    }
    let token = csrf_of(&res.text().await.unwrap());
    b.post(to, &token, fields).await.status().as_u16()
}

async fn act(b: &Browser, h: &Holder, id: &str, action: &str) -> u16 {
    let p = panel(h, id);
    let mut fields = vec![("confirmed", "yes")];
    if action == "renew" {
        fields.push(("grace", "none"));
    }
    post_from(b, &p, &format!("{p}/{action}"), &fields).await
}

async fn provider_act(b: &Browser, h: &Holder, id: &str, action: &str) -> u16 {
    let list = format!("/provider/{}/credentials", h.c.listing.provider);
    let to = format!(
        "/provider/{}/credentials/{id}/{action}",
        h.c.listing.provider
    );
    post_from(
        b,
        &list,
        &to,
        &[("reason", "Checked by the provider"), ("confirmed", "yes")],
    )
    .await
}

async fn retry(b: &Browser, h: &Holder, id: &str) -> u16 {
    let p = panel(h, id);
    post_from(b, &p, &format!("{p}/retry"), &[]).await
}

#[actix_web::test]
async fn deleting_a_credential_whose_provision_failed_removes_it_from_the_agent() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.refuse = true);
    let (id, _, _) = admin.create_credential(&h, "Refused", "api_key").await;
    app.run_due().await;
    assert!(stored(&app, &id).unwrap().failed);
    agent.set(|m| m.refuse = false);
    assert_eq!(act(&admin, &h, &id, "delete").await, 303);
    settle(&app).await;
    assert!(
        stored(&app, &id).is_none(),
        "removed once the agent confirmed"
    );
    let ops: Vec<String> = agent
        .seen
        .lock()
        .unwrap()
        .deliveries
        .iter()
        .map(|(op, _)| op.clone())
        .collect();
    assert_eq!(
        ops.last().map(String::as_str),
        Some("deprovision"),
        "{ops:?}"
    );
    assert_eq!(
        app.state
            .store
            .failed_tasks(h.c.listing.provider.parse().unwrap())
            .unwrap()
            .len(),
        0
    );
}

#[actix_web::test]
async fn deleting_an_active_credential_whose_suspend_was_refused_reaches_the_agent() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let key_id = stored(&app, &id).unwrap().key_id.to_string();
    assert!(agrees(&app, &agent, &id, &key_id).is_ok());
    agent.set(|m| m.refuse = true);
    assert_eq!(act(&admin, &h, &id, "suspend").await, 303);
    app.run_due().await;
    let c = stored(&app, &id).unwrap();
    assert!(c.failed, "the suspend was refused");
    let html = admin.html(&panel(&h, &id)).await;
    assert!(html.contains("Retry provisioning"), "{html}");
    agent.set(|m| m.refuse = false);
    let failed_task = c.task;
    assert_eq!(act(&admin, &h, &id, "delete").await, 303);
    // A fresh task replaced the failed one (the engine may even have carried
    // it out already, in the background).
    if let Some(c) = stored(&app, &id) {
        assert_ne!(c.task, failed_task, "not the failed task");
        assert!(!c.failed);
    }
    settle(&app).await;
    assert_eq!(agrees(&app, &agent, &id, &key_id), Ok(()));
    assert!(
        !agent.seen.lock().unwrap().credentials.contains_key(&key_id),
        "the external gateway no longer accepts it"
    );
}

#[actix_web::test]
async fn provider_actions_and_archiving_replace_a_failed_task_too() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let (a, _, _) = admin.create_credential(&h, "A", "api_key").await;
    let (b, _, _) = admin.create_credential(&h, "B", "api_key").await;
    app.run_due().await;
    let key = |id: &str| stored(&app, id).unwrap().key_id.to_string();
    let (ka, kb) = (key(&a), key(&b));
    agent.set(|m| m.refuse = true);
    assert_eq!(act(&admin, &h, &a, "suspend").await, 303);
    assert_eq!(act(&admin, &h, &b, "suspend").await, 303);
    app.run_due().await;
    assert!(stored(&app, &a).unwrap().failed && stored(&app, &b).unwrap().failed);
    agent.set(|m| m.refuse = false);
    // The provider deletes A; the consumer archives the application with B.
    assert_eq!(provider_act(&admin, &h, &a, "delete").await, 303);
    settle(&app).await;
    assert_eq!(agrees(&app, &agent, &a, &ka), Ok(()));
    let app_page = format!("/teams/{}/applications/{}", h.c.team, h.c.application);
    let res = admin
        .submit(
            &app_page,
            &format!("{app_page}/archive"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    settle(&app).await;
    assert_eq!(agrees(&app, &agent, &b, &kb), Ok(()));
    assert!(!agent.seen.lock().unwrap().credentials.contains_key(&kb));
}

#[actix_web::test]
async fn the_providers_retry_of_a_failed_task_sends_it_again() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.refuse = true);
    let (id, _, _) = admin.create_credential(&h, "Refused", "api_key").await;
    app.run_due().await;
    let c = stored(&app, &id).unwrap();
    agent.set(|m| m.refuse = false);
    let provider = &h.c.listing.provider;
    let task = c.task.unwrap();
    let res = admin
        .submit(
            &format!("/provider/{provider}/provisioning"),
            &format!("/provider/{provider}/tasks/{task}/retry"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    settle(&app).await;
    let key_id = c.key_id.to_string();
    assert_eq!(agrees(&app, &agent, &id, &key_id), Ok(()));
}

#[actix_web::test]
async fn a_credential_left_waiting_on_a_failed_task_shows_failed_again_after_a_restart() {
    let agent = start_agent();
    let plane = GwPlane::for_agent(&agent);
    let env = plane.env();
    let app = spawn_app_with(&env).await;
    agent.use_clock(app.clock.clone());
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.refuse = true);
    let (id, _, _) = admin.create_credential(&h, "Stuck", "api_key").await;
    app.run_due().await;
    // What an earlier version left after the user acted: a task that gave
    // up, and a credential that no longer says it failed.
    let mut c = stored(&app, &id).unwrap();
    c.failed = false;
    c.desired = Desired::Deleted;
    let audit = agora::domain::audit::AuditRecord {
        id: agora::domain::ids::AuditId::generate(app.clock.now()),
        at: app.clock.now(),
        actor: None,
        team: Some(c.team),
        action: "test".into(),
        detail: "the state an earlier version left".into(),
        subject: None,
    };
    let changes = agora::store::Changes {
        credentials: vec![&c],
        ..Default::default()
    };
    app.state.store.commit(&changes, &audit).unwrap();
    let dir = app.stop().await;
    let app = spawn_in(dir, &env).await;
    agent.use_clock(app.clock.clone());
    let c = stored(&app, &id).unwrap();
    assert!(c.failed, "repaired at start: Retry shows again");
    agent.set(|m| m.refuse = false);
    let admin = app.browser();
    assert_eq!(admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    let p = panel(&h, &id);
    assert_eq!(
        admin.submit(&p, &format!("{p}/retry"), &[]).await.status(),
        303
    );
    settle(&app).await;
    assert!(stored(&app, &id).is_none());
}

#[actix_web::test]
async fn a_redirect_from_the_agent_is_a_refusal_and_is_never_followed() {
    let elsewhere = start_agent();
    for status in [301u16, 302, 303, 307, 308] {
        let (app, agent, _s) = with_agent(&[]).await;
        let admin = app.admin().await;
        let h = app.holder(&admin, "gw").await;
        agent.set(|m| m.redirect = Some((status, elsewhere.url.clone())));
        let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
        app.run_due().await;
        let c = stored(&app, &id).unwrap();
        assert!(c.failed, "{status}: refused, not done");
        assert_eq!(c.observed, Observed::Absent, "{status}");
        let error = c.last_error.unwrap_or_default();
        assert!(
            error.contains(&format!("redirect ({status} to {}", elsewhere.url)),
            "{status}: {error}"
        );
        let html = admin.html(&panel(&h, &id)).await;
        assert!(html.contains("does not follow redirects"), "{html}");
    }
    let seen = elsewhere.seen.lock().unwrap();
    assert_eq!(
        (seen.deliveries.len(), seen.bad_signatures),
        (0, 0),
        "nothing reached the other origin"
    );
}

#[actix_web::test]
async fn an_empty_secret_from_an_agent_that_makes_them_is_refused() {
    let (app, agent, _s) = with_agent(&[("AGORA_DATAPLANES__GW__GENERATES_SECRETS", "true")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.secret = Some(String::new()));
    let page = h.new_credential_path();
    let res = admin
        .submit(&page, &page, &[("name", "Edge"), ("kind", "api_key")])
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    app.run_due().await;
    let c = app
        .state
        .store
        .credentials_of_app(h.c.application.parse().unwrap())
        .unwrap()[0]
        .clone();
    assert!(c.failed, "not Active with a secret nobody can see");
    assert_eq!(c.observed, Observed::Absent);
    assert!(
        c.last_error.unwrap_or_default().contains("empty secret"),
        "the reason is shown"
    );
    agent.set(|m| m.secret = Some("  ".into()));
    let p = panel(&h, &c.id.to_string());
    admin.submit(&p, &format!("{p}/retry"), &[]).await;
    app.run_due().await;
    assert!(
        stored(&app, &c.id.to_string()).unwrap().failed,
        "blank is empty too"
    );
}

#[test]
fn an_agent_that_makes_secrets_needs_a_view_window_to_show_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.secret");
    std::fs::write(&file, "0123456789abcdef0123").unwrap();
    let settings = format!(
        "[dataplanes.gw]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/agent\"\nsecret_file = \"{}\"\ngenerates_secrets = true\nview_window = \"0\"\nallow_private_targets = true\n",
        file.display()
    );
    let err = agora::config::Config::from_toml(&settings, Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("generates_secrets") && err.contains("view_window"),
        "{err}"
    );
}

/// One step of the property: what a user, a provider or the agent does.
#[derive(Debug, Clone, Copy)]
enum Step {
    User(&'static str),
    Provider(&'static str),
    Retry,
    AgentRefuses(bool),
    AgentDown(bool),
    Run,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => prop::sample::select(vec!["suspend", "enable", "renew", "delete"]).prop_map(Step::User),
        1 => prop::sample::select(vec!["suspend", "enable", "delete"]).prop_map(Step::Provider),
        1 => Just(Step::Retry),
        2 => any::<bool>().prop_map(Step::AgentRefuses),
        1 => any::<bool>().prop_map(Step::AgentDown),
        3 => Just(Step::Run),
    ]
}

/// For any sequence of user and provider actions and agent answers
/// (refusals and outages included), once the agent accepts and what failed
/// is retried, the agent holds exactly what the portal wants.
#[actix_web::test]
async fn whatever_happens_once_the_agent_accepts_it_holds_the_desired_state() {
    use proptest::strategy::{Strategy, ValueTree};
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let sequences = proptest::collection::vec(step(), 1..10);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let cases: u32 = std::env::var("AGORA_PROPERTY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for case in 0..cases {
        let steps = sequences.new_tree(&mut runner).unwrap().current();
        agent.set(|m| {
            m.refuse = false;
            m.down = false;
        });
        let (id, _, _) = admin
            .create_credential(&h, &format!("case {case}"), "api_key")
            .await;
        let key_id = stored(&app, &id).unwrap().key_id.to_string();
        for s in &steps {
            match *s {
                Step::User(a) => {
                    if stored(&app, &id).is_some() {
                        act(&admin, &h, &id, a).await;
                    }
                }
                Step::Provider(a) => {
                    if stored(&app, &id).is_some() {
                        provider_act(&admin, &h, &id, a).await;
                    }
                }
                Step::Retry => {
                    if stored(&app, &id).is_some_and(|c| c.failed) {
                        retry(&admin, &h, &id).await;
                    }
                }
                Step::AgentRefuses(on) => agent.set(|m| m.refuse = on),
                Step::AgentDown(on) => agent.set(|m| m.down = on),
                Step::Run => {
                    app.run_due().await;
                    app.advance(Duration::from_secs(31));
                }
            }
        }
        // The agent accepts from now on; what gave up is retried once.
        agent.set(|m| {
            m.refuse = false;
            m.down = false;
        });
        settle(&app).await;
        if stored(&app, &id).is_some_and(|c| c.failed) {
            retry(&admin, &h, &id).await;
            settle(&app).await;
        }
        if let Err(why) = agrees(&app, &agent, &id, &key_id) {
            panic!("case {case}, steps {steps:?}: {why}");
        }
    }
    let seen = agent.seen.lock().unwrap();
    assert!(
        seen.applied.values().all(|n| *n == 1),
        "a key applied twice"
    );
    assert_eq!(seen.bad_signatures, 0);
}

/// The JSON block after `<!-- example: NAME -->` in docs/agent-protocol.md.
fn documented_example(name: &str) -> serde_json::Value {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/agent-protocol.md"),
    )
    .unwrap();
    let marker = format!("<!-- example: {name} -->");
    let after = &page[page.find(&marker).expect("the example is marked") + marker.len()..];
    let body = &after[after.find("```json\n").expect("a json block follows") + 8..];
    serde_json::from_str(&body[..body.find("```").unwrap()]).expect("the example is JSON")
}

/// Where a delivery's shape differs from the documented one: the same keys
/// at every level, and the same JSON type wherever the example is not null.
fn differences(
    path: &str,
    doc: &serde_json::Value,
    real: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (doc, real) {
        (Value::Null, _) => {}
        (Value::Object(d), Value::Object(r)) => {
            for k in d.keys().filter(|k| !r.contains_key(*k)) {
                out.push(format!("{path}.{k}: documented, not sent"));
            }
            for k in r.keys().filter(|k| !d.contains_key(*k)) {
                out.push(format!("{path}.{k}: sent, not documented"));
            }
            for (k, v) in d {
                if let Some(rv) = r.get(k) {
                    differences(&format!("{path}.{k}"), v, rv, out);
                }
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (d, r) => out.push(format!("{path}: documented {d}, sent {r}")),
    }
}

#[actix_web::test]
async fn every_operation_is_sent_as_docs_agent_protocol_shows() {
    let (app, agent, _s) = with_agent(&[]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    for action in ["suspend", "enable", "renew"] {
        assert_eq!(act(&admin, &h, &id, action).await, 303, "{action}");
        app.run_due().await;
    }
    // A renewal with grace, ended early.
    let p = panel(&h, &id);
    let fields = [("confirmed", "yes"), ("grace", "1h")];
    assert_eq!(
        post_from(&admin, &p, &format!("{p}/renew"), &fields).await,
        303
    );
    app.run_due().await;
    assert_eq!(act(&admin, &h, &id, "end-grace").await, 303);
    app.run_due().await;
    assert_eq!(act(&admin, &h, &id, "delete").await, 303);
    app.run_due().await;
    let app_page = format!("/teams/{}/applications/{}", h.c.team, h.c.application);
    admin
        .submit(
            &app_page,
            &format!("{app_page}/archive"),
            &[("confirmed", "yes")],
        )
        .await;
    app.run_due().await;

    let provision = documented_example("provision");
    let mut without_secret = provision.clone();
    without_secret.as_object_mut().unwrap().remove("secret");
    let grant = documented_example("grant");
    let credential_key = regex::Regex::new(r"^credential:[0-9A-Z]{26}:[0-9]+:[a-z_]+$").unwrap();
    let access_key = regex::Regex::new(r"^access:[0-9A-Z]{26}:[0-9]+:[a-z]+$").unwrap();
    let seen = agent.seen.lock().unwrap();
    let mut ops = Vec::new();
    let mut problems = Vec::new();
    for (headers, doc) in &seen.documents {
        let op = doc["operation"].as_str().unwrap().to_owned();
        let (example, key_shape) = match op.as_str() {
            "provision" | "renew" => (&provision, &credential_key),
            "suspend" | "enable" | "end_grace" | "deprovision" => {
                (&without_secret, &credential_key)
            }
            "grant" | "revoke" => (&grant, &access_key),
            other => panic!("an undocumented operation: {other}"),
        };
        differences(&op, example, doc, &mut problems);
        let key = doc["idempotency_key"].as_str().unwrap();
        assert!(key_shape.is_match(key), "{op}: {key}");
        assert!(key.ends_with(&format!(":{op}")), "{key}");
        // The documented headers, with the values the table gives them.
        assert_eq!(
            headers.get("idempotency-key").map(String::as_str),
            Some(key)
        );
        assert_eq!(
            headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert!(
            headers
                .get("x-agora-timestamp")
                .is_some_and(|t| t.parse::<i64>().is_ok())
        );
        assert!(
            headers
                .get("x-agora-signature")
                .is_some_and(|s| s.starts_with("v1="))
        );
        ops.push(op);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for op in [
        "grant",
        "provision",
        "suspend",
        "enable",
        "renew",
        "deprovision",
        "revoke",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} was delivered: {ops:?}");
    }
    // The README and the protocol say the same key shapes the wire carries.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["README.md", "docs/agent-protocol.md"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(text.contains(":<n>:<op"), "{file} gives the credential key");
        assert!(
            text.contains("access:<access id>:<version>:<op"),
            "{file} gives the access key"
        );
        assert!(
            text.contains("attempt N failed, next at …"),
            "{file} quotes the page"
        );
    }
}

#[actix_web::test]
async fn the_secret_hash_is_empty_when_the_agent_makes_the_secrets_as_documented() {
    let (app, agent, _s) = with_agent(&[("AGORA_DATAPLANES__GW__GENERATES_SECRETS", "true")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let page = h.new_credential_path();
    admin
        .submit(&page, &page, &[("name", "Edge"), ("kind", "api_key")])
        .await;
    app.run_due().await;
    let seen = agent.seen.lock().unwrap();
    let (_, doc) = seen
        .documents
        .iter()
        .find(|(_, d)| d["operation"] == "provision")
        .expect("a provision");
    assert_eq!(doc["credential"]["secret_hash"], "");
    assert!(doc.get("secret").is_none());
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/agent-protocol.md"),
    )
    .unwrap();
    assert!(text.contains("and `\"\"` (empty) when the agent makes the secrets"));
}
