//! Agora at 100,000 credentials: start-up time to a healthy `/healthz`,
//! resident memory once started, and the purge of 100,000 expired secrets.
//!
//! Run: `cargo bench --bench scale`. Results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use agora::clock::Timestamp;
use agora::crypto::digest::hmac_sha256;
use agora::crypto::master_key::MasterKey;
use agora::crypto::vault::Vault;
use agora::domain::access::TaskOp;
use agora::domain::audit::AuditRecord;
use agora::domain::credential::{Credential, CredentialOp, Desired, Observed, secret_aad};
use agora::domain::ids::*;
use agora::domain::key_format::{self, KeyId};
use agora::domain::outbox::{AccessGrant, CredentialWork, Task, TaskState};
use agora::domain::resource::{CredentialType, Quota};
use agora::store::{Changes, SealedSecret, Store};
use common::binary::{Binary, free_port};

const CREDENTIALS: usize = 100_000;

fn seed(dir: &std::path::Path) {
    let key_file = dir.join("agora.key");
    let master = MasterKey::load_or_create(&key_file).unwrap();
    let pepper = master.derive("secret-pepper");
    let vault = Vault::new(&master);
    let store = Store::open(&dir.join("data"), &master, &key_file).unwrap();
    let now = Timestamp::from_millis(1_767_225_600_000);
    let team = TeamId::generate(now);
    let resource = ResourceId::generate(now);
    let started = Instant::now();
    let mut creds = Vec::new();
    let mut secrets = Vec::new();
    for i in 0..CREDENTIALS {
        let id = CredentialId::generate(now);
        let key_id = KeyId::generate();
        let secret = key_format::new_secret();
        let hash = hex::encode(hmac_sha256(&pepper, &[secret.as_bytes()]));
        let grant = AccessGrant {
            access: AccessId::generate(now),
            team,
            team_name: "Buyers".into(),
            application: ApplicationId::generate(now),
            application_name: format!("app {i}"),
            resource,
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
            key: format!("c{i}"),
            op: TaskOp::Grant,
            grant: grant.clone(),
            credential: Some(CredentialWork {
                credential: id,
                key_id,
                kind: CredentialType::ApiKey,
                op: CredentialOp::Provision,
                active: true,
                secret_version: 1,
                secret_hash: hash.clone(),
                grace_until: None,
                sealed_secret: None,
            }),
            dataplane: "embedded".into(),
            provider: team,
            state: TaskState::Due,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
        };
        store.embedded_apply(&task).unwrap();
        secrets.push(SealedSecret {
            credential: id,
            version: 1,
            until: now,
            sealed: vault.seal(secret.as_bytes(), &secret_aad(id, 1)),
        });
        creds.push(Credential {
            id,
            team,
            provider: team,
            application: grant.application,
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
            window_until: Some(now),
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
        if creds.len() == 1_000 {
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
                secrets: secrets.iter().collect(),
                ..Changes::default()
            };
            store.commit(&changes, &audit).unwrap();
            creds.clear();
            secrets.clear();
        }
    }
    store.flush_blocking().unwrap();
    println!(
        "seeded {CREDENTIALS} credentials in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The purge of 100,000 secrets whose window closed.
    assert_eq!(store.sealed_secret_count(), CREDENTIALS);
    let started = Instant::now();
    let purged = store
        .purge_secrets(now.plus(Duration::from_secs(1)), usize::MAX)
        .unwrap();
    store.flush_blocking().unwrap();
    assert_eq!(purged, CREDENTIALS);
    println!(
        "purged {purged} expired secrets in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let port = free_port();
    for run in 1..=3 {
        let (server, took) = Binary::start(dir.path(), port, &[]);
        std::thread::sleep(Duration::from_millis(500));
        println!(
            "run {run}: healthy in {:.0} ms with {CREDENTIALS} credentials; resident memory {} MiB",
            took.as_secs_f64() * 1e3,
            rss_kib(server.pid()) / 1024
        );
        server.kill();
        std::thread::sleep(Duration::from_millis(300));
    }
}
