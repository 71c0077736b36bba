//! `/gateway/authorize` under load with 10,000 active credentials.
//!
//! Seeds a database with 10,000 provisioned API keys on one resource, starts
//! Agora on a loopback port, and drives it from 64 concurrent keep-alive
//! connections in the same process (same 2 cores) for a few seconds per
//! scenario: valid keys, unknown keys, and `/healthz` as the baseline of the
//! same server. Prints requests per second, p50, p99 and errors.
//!
//! Run: `cargo bench --bench gateway`. Results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora::clock::{Clock, ManualClock, Timestamp};
use agora::crypto::digest::hmac_sha256;
use agora::crypto::master_key::MasterKey;
use agora::domain::access::TaskOp;
use agora::domain::audit::AuditRecord;
use agora::domain::credential::{Credential, CredentialOp, Desired, Observed};
use agora::domain::ids::*;
use agora::domain::key_format::{self, KeyId};
use agora::domain::outbox::{AccessGrant, CredentialWork, Task, TaskState};
use agora::domain::product::{Product, ProductDetails, ProductState};
use agora::domain::resource::{
    Approval, CredentialType, Quota, Resource, ResourceSpec, RoutePrefix,
};
use agora::startup::Application;
use agora::store::{Changes, Store};
use common::binary::free_port;
use common::load::{MakeRequest, Report, drive_for};
use common::settings_on;

const CREDENTIALS: usize = 10_000;
const CONCURRENCY: usize = 64;
const SECONDS: u64 = 5;

fn task(
    now: Timestamp,
    grant: &AccessGrant,
    key: String,
    credential: Option<CredentialWork>,
) -> Task {
    Task {
        id: TaskId::generate(now),
        key,
        op: TaskOp::Grant,
        grant: grant.clone(),
        credential,
        dataplane: "embedded".into(),
        provider: grant.team,
        state: TaskState::Due,
        attempts: 0,
        next_at: now,
        last_error: None,
        created_at: now,
    }
}

/// Seeds `CREDENTIALS` provisioned API keys; returns the resource and the keys.
fn seed(dir: &std::path::Path, now: Timestamp) -> (ResourceId, Vec<String>) {
    let key_file = dir.join("agora.key");
    let master = MasterKey::load_or_create(&key_file).unwrap();
    let pepper = master.derive("secret-pepper");
    let store = Store::open(&dir.join("data"), &master, &key_file).unwrap();
    let team = TeamId::generate(now);
    let resource = ResourceId::generate(now);
    // A published product whose resource routes /weather/, as the gateway
    // finds resources by the path the proxy saw.
    let product = Product {
        id: ProductId::generate(now),
        provider: team,
        details: ProductDetails::parse("Weather", "Forecasts", "", "").unwrap(),
        state: ProductState::Published,
        created_at: now,
        updated_at: now,
        published_at: Some(now),
        description_html: None,
    };
    let audit = |what: &str| AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: None,
        team: Some(team),
        action: what.into(),
        detail: what.into(),
        subject: None,
    };
    store
        .put_product(&product, true, &audit("product.added"))
        .unwrap();
    let spec = ResourceSpec {
        name: "Forecast".into(),
        description: String::new(),
        route: RoutePrefix::parse("/weather/").unwrap(),
        dataplane: "embedded".into(),
        credential_types: vec![CredentialType::ApiKey],
        access_approval: Approval::Automatic,
        fields: Vec::new(),
        expiry: None,
    };
    let r = Resource {
        id: resource,
        product: product.id,
        spec,
        created_at: now,
        updated_at: now,
    };
    store
        .put_resource(&r, None, &audit("resource.added"))
        .unwrap();
    let mut keys = Vec::with_capacity(CREDENTIALS);
    let mut batch = Vec::new();
    for i in 0..CREDENTIALS {
        let application = ApplicationId::generate(now);
        let grant = AccessGrant {
            access: AccessId::generate(now),
            team,
            team_name: "Buyers".into(),
            application,
            application_name: format!("app {i}"),
            resource,
            resource_name: "Forecast".into(),
            route: "/weather/".into(),
            plan_name: "Unlimited".into(),
            quota: Quota::default(),
            subscription: Some(SubscriptionId::generate(now)),
            product: None,
            product_name: String::new(),
        };
        let key_id = KeyId::generate();
        let secret = key_format::new_secret();
        keys.push(key_format::api_key(&key_id, &secret));
        let hash = hex::encode(hmac_sha256(&pepper, &[secret.as_bytes()]));
        let id = CredentialId::generate(now);
        store
            .embedded_apply(&task(now, &grant, format!("g{i}"), None))
            .unwrap();
        let work = CredentialWork {
            credential: id,
            key_id,
            kind: CredentialType::ApiKey,
            op: CredentialOp::Provision,
            active: true,
            secret_version: 1,
            secret_hash: hash.clone(),
            grace_until: None,
            sealed_secret: None,
        };
        store
            .embedded_apply(&task(now, &grant, format!("c{i}"), Some(work)))
            .unwrap();
        batch.push(Credential {
            id,
            team,
            provider: team,
            application,
            access: grant.access,
            product: ProductId::generate(now),
            resource,
            dataplane: "embedded".into(),
            kind: CredentialType::ApiKey,
            name: format!("key {i}"),
            key_id,
            desired: Desired::Active,
            observed: Observed::Active,
            secret_version: 1,
            plane_version: 1,
            secret_hash: hash,
            window_until: None,
            grace_until: None,
            previous_hash: None,
            created_at: now,
            renewed_at: None,
            reason: None,
            task: None,
            task_seq: 1,
            failed: false,
            last_error: None,
            agent_secret: None,
            plane_grace: false,
            own_client_id: None,
            expires_at: None,
            at_expiry: Default::default(),
            expired: false,
            reminded_days: None,
            next_reminder: None,
            created_by: None,
        });
        if batch.len() == 1_000 {
            let audit = AuditRecord {
                id: AuditId::generate(now),
                at: now,
                actor: None,
                team: Some(team),
                action: "seed".into(),
                detail: String::new(),
                subject: None,
            };
            let changes = Changes {
                credentials: batch.iter().collect(),
                ..Changes::default()
            };
            store.commit(&changes, &audit).unwrap();
            batch.clear();
        }
    }
    store.flush_blocking().unwrap();
    (resource, keys)
}

/// Every connection sends GETs to `url` for [`SECONDS`], each with the next
/// header set of the list.
async fn drive(url: String, headers: Vec<Vec<(String, String)>>, expect: u16) -> Report {
    let headers = Arc::new(headers);
    let make: MakeRequest = Arc::new(move |c: &reqwest::Client, w, i| {
        let mut req = c.get(&url);
        for (k, v) in &headers[(w + i * CONCURRENCY) % headers.len()] {
            req = req.header(k, v);
        }
        req
    });
    drive_for(SECONDS, CONCURRENCY, make, expect).await
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at_test_epoch();
    let (_, keys) = seed(dir.path(), clock.now());
    let config = settings_on(dir.path(), &[("AGORA_LOG__LEVEL", "error")]);
    let (tx, rx) = std::sync::mpsc::channel();
    let server_clock = clock.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config, Arc::new(server_clock)).unwrap();
            assert_eq!(app.state().gateway.credential_count(), CREDENTIALS);
            tx.send(app.port()).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    let port = rx.recv().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let valid: Vec<Vec<(String, String)>> = keys
        .iter()
        .map(|k| {
            vec![
                ("X-API-Key".into(), k.clone()),
                ("X-Original-URI".into(), "/weather/today".into()),
            ]
        })
        .collect();
    let unknown: Vec<Vec<(String, String)>> = (0..1_000)
        .map(|_| {
            let k = key_format::api_key(&KeyId::generate(), &key_format::new_secret());
            vec![
                ("X-API-Key".into(), k),
                ("X-Original-URI".into(), "/weather/today".into()),
            ]
        })
        .collect();
    let nginx = nginx_front(dir.path(), &base);
    let front_valid: Vec<Vec<(String, String)>> =
        valid.iter().map(|h| vec![h[0].clone()]).collect();
    actix_web::rt::System::new().block_on(async move {
        let authorize = format!("{base}/gateway/authorize");
        // Warm up connections and caches.
        drive(authorize.clone(), valid.clone(), 200).await;
        let hello = drive(format!("{base}/healthz"), vec![vec![]], 200).await;
        let ok = drive(authorize.clone(), valid, 200).await;
        let bad = drive(authorize, unknown, 401).await;
        println!("{CREDENTIALS} active credentials, {CONCURRENCY} connections, {SECONDS} s each, client on the same machine");
        println!("| route | requests/s | p50 | p99 | errors | ratio to /healthz |");
        println!("|---|---|---|---|---|---|");
        for (name, r) in [("/healthz (baseline)", &hello), ("/gateway/authorize, valid key", &ok), ("/gateway/authorize, unknown key", &bad)] {
            println!("| {name} | {} | {:.0}% |", r.cells(), 100.0 * r.rps / hello.rps);
        }
        // The same calls through a real nginx: with auth_request, and without auth.
        if let Some((front, _child)) = &nginx {
            let plain = drive(format!("http://127.0.0.1:{front}/plain/weather/"), vec![vec![]], 200).await;
            let guarded = drive(format!("http://127.0.0.1:{front}/weather/today"), front_valid, 200).await;
            println!("| nginx, no auth (baseline) | {} | 100% |", plain.cells());
            println!(
                "| nginx with auth_request to Agora, valid key | {} | {:.0}% of nginx without auth |",
                guarded.cells(),
                100.0 * guarded.rps / plain.rps
            );
        } else {
            println!("(nginx is not installed: the nginx rows are skipped)");
        }
    });
}

struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real nginx on a free port: `/weather/` behind auth_request to Agora,
/// `/plain/` without auth, both answered by an nginx upstream.
fn nginx_front(dir: &std::path::Path, agora: &str) -> Option<(u16, Nginx)> {
    let bin = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let (front, upstream) = (free_port(), free_port());
    let d = dir.display();
    let conf = format!(
        r#"
daemon off; master_process off; worker_processes 1;
pid {d}/nginx.pid; error_log {d}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  upstream agora {{ server {agora_host}; keepalive 64; }}
  upstream api {{ server 127.0.0.1:{upstream}; keepalive 64; }}
  server {{ listen 127.0.0.1:{upstream}; location / {{ return 200 "ok
"; }} }}
  server {{
    listen 127.0.0.1:{front};
    location = /_agora_authorize {{
      internal;
      proxy_pass http://agora/gateway/authorize;
      proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_pass_request_body off; proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Agora-Resource "";
    }}
    location /plain/ {{ proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    location / {{
      auth_request /_agora_authorize;
      proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection "";
    }}
  }}
}}
"#,
        agora_host = agora.trim_start_matches("http://")
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).ok()?;
    let child = std::process::Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", front)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((front, Nginx(child)))
}
