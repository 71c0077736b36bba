//! Canary secrets — passwords, API keys, OAuth client secrets and tokens,
//! session ids — never appear in the log or, in clear, in the database files,
//! through a run that creates, views, renews and uses credentials on the
//! embedded data plane and on a webhook agent.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::agent::start_agent;
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

/// Every file under `dir`, as bytes.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.is_file() {
            // (The control socket is no file to read.)
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[actix_web::test]
async fn secrets_stay_out_of_the_log_and_the_database() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("agora=trace,info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let agent = start_agent();
    let plane = common::agent::GwPlane::for_agent(&agent);
    let app = spawn_app_with(&plane.env()).await;
    agent.use_clock(app.clock.clone());
    let admin = app.admin().await;
    let mut canaries: Vec<String> = vec![ADMIN_PASSWORD.to_owned()];
    let res = app.browser().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = session_cookie(&res);
    canaries.push(cookie["agora_session=".len()..cookie.find(';').unwrap()].to_owned());

    // Embedded: an API key, viewed and renewed, used at the gateway.
    let h = app.holder(&admin, "embedded").await;
    let (id, key, _) = admin.create_credential(&h, "Canary key", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    admin.view_credential(&panel, ADMIN_PASSWORD).await;
    let res = admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "1h")],
        )
        .await;
    let renewed = input_value(&admin.secret_page(res).await, "secret");
    app.run_due().await;
    assert_eq!(
        authorize(
            &app,
            &[
                ("X-API-Key", &renewed),
                ("X-Original-URI", "/weather/today")
            ]
        )
        .await
        .status(),
        200
    );
    for k in [&key, &renewed] {
        canaries.push(k.clone());
        canaries.push(k[k.len() - 56..k.len() - 8].to_owned()); // the secret part alone
    }

    // An OAuth client and its token.
    admin.allow_oauth_clients(&h.c.listing, "embedded").await;
    let (_, client_secret, client_id) = admin
        .create_credential(&h, "Canary client", "oauth_client")
        .await;
    app.run_due().await;
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    canaries.push(client_secret);
    canaries.push(token["access_token"].as_str().unwrap().to_owned());

    let dir = app.stop().await;
    let mut stored = files(dir.path());

    // A webhook agent gets Agora's secret; on our side it stays sealed.
    let app = spawn_app_with(&plane.env()).await;
    agent.use_clock(app.clock.clone());
    let admin = app.admin().await;
    let h = app.holder(&admin, "gw").await;
    agent.set(|m| m.down = true);
    let (_, agent_key, _) = admin.create_credential(&h, "Agent key", "api_key").await;
    app.run_due().await; // the sealed secret waits in the outbox
    let waiting = files(app.dir.path());
    agent.set(|m| m.down = false);
    app.advance(std::time::Duration::from_secs(600));
    app.run_due().await;
    let got = agent
        .seen
        .lock()
        .unwrap()
        .credentials
        .values()
        .any(|(_, _, s)| s.as_deref().is_some_and(|s| agent_key.contains(s)));
    assert!(got, "the agent received the secret");
    canaries.push(agent_key.clone());
    canaries.push(agent_key[agent_key.len() - 56..agent_key.len() - 8].to_owned());
    let dir = app.stop().await;
    stored.extend(waiting);
    stored.extend(files(dir.path()));

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("answered"), "the log was captured");
    // The scan does find what is stored in clear: the public key id.
    let public = &agent_key["agora_".len().."agora_".len() + 16];
    assert!(
        stored.iter().any(|(_, b)| contains(b, public)),
        "the scan reads the files"
    );
    assert!(
        stored.iter().any(|(_, b)| b.len() > 1_000),
        "the database was written"
    );
    for canary in &canaries {
        assert!(
            !text.contains(canary.as_str()),
            "{canary} leaked into the log"
        );
        for (path, bytes) in &stored {
            assert!(!contains(bytes, canary), "{canary} is in clear in {path}");
        }
    }
}
