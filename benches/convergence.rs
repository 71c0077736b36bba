//! 1,000 pending credentials on a webhook data plane whose agent is down;
//! the agent comes back: how long until every credential is Active?
//!
//! Real clock, `retry_base = 1s`, `retry_cap = 10s`, a scheduler run every
//! second; the agent answers 503 for 5 s, then 200.
//!
//! Run: `cargo bench --bench convergence`. Results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use agora::clock::{Clock, SystemClock};
use agora::crypto::master_key::MasterKey;
use agora::domain::access::TaskOp;
use agora::domain::audit::AuditRecord;
use agora::domain::credential::{Credential, CredentialOp, Desired, Observed};
use agora::domain::ids::*;
use agora::domain::key_format::KeyId;
use agora::domain::outbox::{AccessGrant, CredentialWork, Task, TaskState};
use agora::domain::resource::{CredentialType, Quota};
use agora::startup::Application;
use agora::store::{Changes, Store};
use common::settings_on;

const CREDENTIALS: usize = 1_000;

fn seed(dir: &std::path::Path) {
    let key_file = dir.join("agora.key");
    let master = MasterKey::load_or_create(&key_file).unwrap();
    let store = Store::open(&dir.join("data"), &master, &key_file).unwrap();
    let now = SystemClock.now();
    let team = TeamId::generate(now);
    let mut creds = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..CREDENTIALS {
        let id = CredentialId::generate(now);
        let key_id = KeyId::generate();
        let grant = AccessGrant {
            access: AccessId::generate(now),
            team,
            team_name: "Buyers".into(),
            application: ApplicationId::generate(now),
            application_name: format!("app {i}"),
            resource: ResourceId::generate(now),
            resource_name: "Forecast".into(),
            route: "/weather/".into(),
            plan_name: "Standard".into(),
            quota: Quota::default(),
            subscription: None,
            product: None,
            product_name: String::new(),
        };
        let task = Task {
            id: TaskId::generate(now),
            key: format!("credential:{id}:1:provision"),
            op: TaskOp::Grant,
            credential: Some(CredentialWork {
                credential: id,
                key_id,
                kind: CredentialType::ApiKey,
                op: CredentialOp::Provision,
                active: true,
                secret_version: 1,
                secret_hash: String::new(),
                grace_until: None,
                sealed_secret: None,
            }),
            grant: grant.clone(),
            dataplane: "gw".into(),
            provider: team,
            state: TaskState::Due,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
        };
        creds.push(Credential {
            id,
            team,
            provider: team,
            application: grant.application,
            access: grant.access,
            product: ProductId::generate(now),
            resource: grant.resource,
            dataplane: "gw".into(),
            kind: CredentialType::ApiKey,
            name: format!("key {i}"),
            key_id,
            desired: Desired::Active,
            observed: Observed::Absent,
            secret_version: 1,
            plane_version: 0,
            secret_hash: String::new(),
            window_until: None,
            grace_until: None,
            previous_hash: None,
            created_at: now,
            renewed_at: None,
            reason: None,
            task: Some(task.id),
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
        tasks.push(task);
    }
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
        credentials: creds.iter().collect(),
        tasks: tasks.iter().collect(),
        ..Changes::default()
    };
    store.commit(&changes, &audit).unwrap();
    store.flush_blocking().unwrap();
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let secret_file = dir.path().join("agent.secret");
    std::fs::write(&secret_file, "bench-agent-signing-secret-0123456789").unwrap();

    // The agent: down until told otherwise.
    let down = Arc::new(AtomicBool::new(true));
    let calls = Arc::new(AtomicUsize::new(0));
    let (agent_tx, agent_rx) = std::sync::mpsc::channel();
    {
        let (down, calls) = (down.clone(), calls.clone());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let (down, calls) = (down.clone(), calls.clone());
                    App::new().route(
                        "/agent",
                        web::post().to(move || {
                            calls.fetch_add(1, Ordering::Relaxed);
                            let up = !down.load(Ordering::Relaxed);
                            async move {
                                if up {
                                    HttpResponse::Ok().finish()
                                } else {
                                    HttpResponse::ServiceUnavailable().finish()
                                }
                            }
                        }),
                    )
                })
                .workers(1)
                .bind(("127.0.0.1", 0))
                .unwrap();
                agent_tx.send(server.addrs()[0].port()).unwrap();
                server.run().await.unwrap();
            })
        });
    }
    let agent_port = agent_rx.recv().unwrap();

    let agent_url = format!("http://127.0.0.1:{agent_port}/agent");
    let secret_path = secret_file.display().to_string();
    let config = settings_on(
        dir.path(),
        &[
            ("AGORA_LOG__LEVEL", "error"),
            ("AGORA_PROVISIONING__INTERVAL", "1s"),
            ("AGORA_PROVISIONING__RETRY_BASE", "1s"),
            ("AGORA_PROVISIONING__RETRY_CAP", "10s"),
            ("AGORA_PROVISIONING__MAX_ATTEMPTS", "100"),
            ("AGORA_DATAPLANES__GW__KIND", "webhook"),
            ("AGORA_DATAPLANES__GW__URL", &agent_url),
            ("AGORA_DATAPLANES__GW__SECRET_FILE", &secret_path),
            ("AGORA_DATAPLANES__GW__ALLOW_PRIVATE_TARGETS", "true"),
        ],
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config, Arc::new(SystemClock)).unwrap();
            tx.send(app.state()).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    let state = rx.recv().unwrap();
    let active = || {
        state
            .store
            .credentials()
            .unwrap()
            .iter()
            .filter(|c| c.observed == Observed::Active)
            .count()
    };

    // The outage: 5 s of 503s while every credential keeps retrying.
    std::thread::sleep(Duration::from_secs(5));
    let during = calls.load(Ordering::Relaxed);
    assert_eq!(active(), 0);
    down.store(false, Ordering::Relaxed);
    let back = Instant::now();
    let mut last = 0;
    while last < CREDENTIALS {
        std::thread::sleep(Duration::from_millis(50));
        last = active();
        assert!(
            back.elapsed() < Duration::from_secs(120),
            "{last} of {CREDENTIALS} converged"
        );
    }
    let took = back.elapsed();
    println!(
        "{CREDENTIALS} pending credentials: {during} failed calls during a 5 s outage; all Active {:.2} s after the agent came back ({} calls in all)",
        took.as_secs_f64(),
        calls.load(Ordering::Relaxed)
    );
}
