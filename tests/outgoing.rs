//! Outgoing calls reach no private address. A real listener on 127.0.0.1
//! stands for this machine: every spelling of it an attacker would try is
//! refused when an endpoint is registered (through the pages and the API),
//! and an endpoint already stored with one (saved while private targets
//! were allowed) is refused at delivery, so the listener hears nothing. A
//! name that resolves to 127.0.0.1 is refused at connect time. The same
//! listener hears the calls once private targets are allowed, so its
//! silence means something.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agora::startup::Seams;
use common::api::Api;
use common::*;
use serde_json::{Value, json};

/// A TCP listener on 127.0.0.1 that counts every connection it accepts.
struct Listener {
    port: u16,
    heard: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Self {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let heard = Arc::new(AtomicUsize::new(0));
        let count = heard.clone();
        std::thread::spawn(move || {
            for stream in socket.incoming() {
                if stream.is_ok() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Listener { port, heard }
    }

    fn heard(&self) -> usize {
        self.heard.load(Ordering::SeqCst)
    }
}

/// Every way of writing this machine that the URL standard reads as it.
const SPELLINGS: [&str; 16] = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.000.000.001",
    "127.0.0.1.",
    "%31%32%37.0.0.1",
    "0.0.0.0",
    "0",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::1]",
    "[::]",
    "localhost",
];

const PRIVATE: (&str, &str) = ("AGORA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");

fn urls(port: u16) -> Vec<String> {
    SPELLINGS
        .iter()
        .map(|host| format!("https://{host}:{port}/hook"))
        .collect()
}

/// Sends a test event to every endpoint of `team` and runs the courier.
async fn test_all(app: &TestApp, api: &Api, team: &str) -> Vec<Value> {
    let (status, list) = api.get(&format!("/teams/{team}/webhooks")).await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        let res = api
            .request(
                reqwest::Method::POST,
                &format!("/teams/{team}/webhooks/{id}/test"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    agora::courier::deliver_due(&app.state).await.unwrap();
    let mut last = Vec::new();
    for id in &ids {
        let list = app
            .state
            .store
            .deliveries_of_endpoint(id.parse().unwrap(), 10)
            .unwrap();
        let d = list.first().expect("a delivery");
        last.push(json!({"url": id, "error": d.last_error, "status": d.last_status}));
    }
    last
}

/// Every attempt made to call any endpoint of `team`, retries included.
async fn attempts(app: &TestApp, api: &Api, team: &str) -> usize {
    let (_, list) = api.get(&format!("/teams/{team}/webhooks")).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let id = e["id"].as_str().unwrap().parse().unwrap();
            app.state.store.deliveries_of_endpoint(id, 100).unwrap()
        })
        .map(|d| d.attempts as usize)
        .sum()
}

#[actix_web::test]
async fn no_spelling_of_this_machine_is_registered_or_called() {
    let rx = Listener::start();
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Hooks").await;
    let token = admin
        .personal_token("Hooks", "read-write", Some(&team))
        .await;
    let api = Api::new(&app.base, &token);
    let page = format!("/teams/{team}/webhooks");
    for url in urls(rx.port) {
        // Through the page: a clear message next to the field, the URL kept.
        let res = admin
            .submit(&page, &page, &[("url", &url), ("events", "endpoint.test")])
            .await;
        let html = expect_page(res, 422, "Webhooks go only to public addresses").await;
        assert!(html.contains("allow_private_targets"), "{url}");
        // Through the API: a problem document naming the rule.
        let (status, bad) = api
            .post(
                &format!("/teams/{team}/webhooks"),
                json!({"url": url, "events": ["endpoint.test"]}),
            )
            .await;
        assert_eq!(status, 422, "{url}: {bad}");
        let why = bad["errors"]["url"].as_str().unwrap_or_default();
        assert!(why.contains("public addresses"), "{url}: {why}");
    }
    let (_, list) = api.get(&format!("/teams/{team}/webhooks")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "none was saved");

    // Endpoints saved while private targets were allowed...
    let dir = app.stop().await;
    let app = spawn_in(dir, &[PRIVATE]).await;
    let api = Api::new(&app.base, &token);
    for url in urls(rx.port) {
        let (status, made) = api
            .post(
                &format!("/teams/{team}/webhooks"),
                json!({"url": url, "events": ["endpoint.test"]}),
            )
            .await;
        assert_eq!(status, 201, "{url}: {made}");
    }
    // ...are called nowhere once they are not.
    let dir = app.stop().await;
    let app = spawn_in(dir, &[]).await;
    let api = Api::new(&app.base, &token);
    for d in test_all(&app, &api, &team).await {
        let error = d["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("refused:") && error.contains("public addresses"),
            "{d}"
        );
        assert!(d["status"].is_null(), "{d}");
    }
    assert_eq!(rx.heard(), 0, "nothing reached 127.0.0.1");

    // The listener is reachable: allowed again, the same endpoints call it.
    let dir = app.stop().await;
    let app = spawn_in(dir, &[PRIVATE]).await;
    let api = Api::new(&app.base, &token);
    test_all(&app, &api, &team).await;
    assert!(
        rx.heard() >= 10,
        "the IPv4 and IPv4-mapped spellings connect when allowed: {}",
        rx.heard()
    );
    app.stop().await;
}

/// A resolver that answers 127.0.0.1 for every name.
fn to_this_machine() -> agora::outgoing::Lookup {
    Arc::new(|_host: String| {
        Box::pin(async { Ok(vec!["127.0.0.1".parse().unwrap()]) })
            as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>
    })
}

#[actix_web::test]
async fn a_name_that_resolves_to_this_machine_is_refused_when_it_is_called() {
    let rx = Listener::start();
    let seams = Seams {
        lookup: Some(to_this_machine()),
        ..Seams::default()
    };
    let app = spawn_with_seams(tempfile::tempdir().unwrap(), &[], seams.clone()).await;
    let admin = app.admin().await;
    let team = admin.create_team("Hooks").await;
    let token = admin
        .personal_token("Hooks", "read-write", Some(&team))
        .await;
    let api = Api::new(&app.base, &token);
    // A name is not judged at registration: what it resolves to can change.
    let (status, made) = api
        .post(
            &format!("/teams/{team}/webhooks"),
            json!({"url": format!("https://hooks.example.test:{}/in", rx.port), "events": ["endpoint.test"]}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let [d] = test_all(&app, &api, &team).await.try_into().unwrap();
    let error = d["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("hooks.example.test resolves to 127.0.0.1, which is a loopback address"),
        "{d}"
    );
    assert_eq!(rx.heard(), 0, "nothing reached 127.0.0.1");

    // Where private targets are allowed, the same name is called: every
    // attempt from now on (the new test event, and the first one's retry
    // if it fell due meanwhile) reaches the listener.
    let before = attempts(&app, &api, &team).await;
    let dir = app.stop().await;
    let app = spawn_with_seams(dir, &[PRIVATE], seams).await;
    let api = Api::new(&app.base, &token);
    test_all(&app, &api, &team).await;
    let made = attempts(&app, &api, &team).await - before;
    assert!(made >= 1, "the new test event was attempted");
    assert_eq!(rx.heard(), made, "the resolver's answer is what is called");
    app.stop().await;
}

/// An app whose webhook data plane `gw` is at `url`, its names found by
/// `to_this_machine`.
async fn with_agent_at(url: &str, allow_private: bool, secret: &std::path::Path) -> TestApp {
    let secret = secret.display().to_string();
    let mut env = vec![
        ("AGORA_DATAPLANES__GW__KIND", "webhook"),
        ("AGORA_DATAPLANES__GW__URL", url),
        ("AGORA_DATAPLANES__GW__SECRET_FILE", secret.as_str()),
    ];
    if allow_private {
        env.push(("AGORA_DATAPLANES__GW__ALLOW_PRIVATE_TARGETS", "true"));
    }
    let seams = Seams {
        lookup: Some(to_this_machine()),
        ..Seams::default()
    };
    spawn_with_seams(tempfile::tempdir().unwrap(), &env, seams).await
}

#[actix_web::test]
async fn a_data_planes_agent_is_called_only_where_the_rule_allows() {
    let rx = Listener::start();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("agent.secret");
    std::fs::write(&secret, "0123456789abcdef0123456789").unwrap();
    let url = format!("https://agent.example.test:{}/agent", rx.port);

    // A literal private address is refused when the settings are read.
    let literal = format!(
        "[dataplanes.gw]\nkind = \"webhook\"\nurl = \"https://0x7f000001:{}/agent\"\nsecret_file = \"{}\"\n",
        rx.port,
        secret.display()
    );
    let err = agora::config::Config::from_toml(&literal, Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("127.0.0.1 is a loopback address")
            && err.contains("dataplanes.gw.allow_private_targets = true"),
        "{err}"
    );

    // A name that resolves to this machine is refused when it is called.
    let app = with_agent_at(&url, false, &secret).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    let (id, _, _) = admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    let c = app
        .state
        .store
        .credential(id.parse().unwrap())
        .unwrap()
        .unwrap();
    let error = c.last_error.unwrap_or_default();
    assert!(
        error.contains("agent.example.test resolves to 127.0.0.1, which is a loopback address"),
        "{error}"
    );
    assert_eq!(rx.heard(), 0, "the agent's address was never called");
    app.stop().await;

    // Declared private, the same agent is called.
    let app = with_agent_at(&url, true, &secret).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    admin.create_credential(&h, "CI key", "api_key").await;
    app.run_due().await;
    assert!(rx.heard() >= 1, "an agent on a private network is reached");
    app.stop().await;
}
