//! A backup of a database with 100,000 credentials (each with its sealed
//! secret and its audit record): how long writes pause for the snapshot,
//! how long the whole backup takes, how large the file is, and how long a
//! restore of it into a new directory takes. Also the pause while 16
//! writers create credentials through the pages.
//!
//! Run: `cargo bench --bench backup`. Results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agora::domain::audit::AuditRecord;
use agora::domain::ids::{AuditId, CredentialId};
use agora::domain::key_format::KeyId;
use agora::store::{Changes, SealedSecret};
use common::*;

const TOTAL: usize = 100_000;

fn seed(app: &TestApp, template: &agora::domain::credential::Credential) {
    let now = app.state.clock.now();
    let mut batch = Vec::new();
    let mut secrets = Vec::new();
    let mut audits = Vec::new();
    for i in 0..TOTAL {
        let mut c = template.clone();
        c.id = CredentialId::generate(now);
        c.key_id = KeyId::generate();
        c.name = format!("seeded {i}");
        c.task = None;
        secrets.push(SealedSecret {
            credential: c.id,
            version: 1,
            until: now.plus(Duration::from_secs(3 * 86_400)),
            sealed: app.state.vault.seal(
                format!("agk_secret_{i:032}").as_bytes(),
                &agora::domain::credential::secret_aad(c.id, 1),
            ),
        });
        audits.push(AuditRecord {
            id: AuditId::generate(now),
            at: now,
            actor: None,
            team: Some(template.team),
            action: "credential.created".into(),
            detail: format!("seeded credential {i}"),
            subject: Some(agora::domain::audit::Subject::Credential(c.id)),
        });
        batch.push(c);
        if batch.len() == 1_000 || i + 1 == TOTAL {
            let changes = Changes {
                credentials: batch.iter().collect(),
                secrets: secrets.iter().collect(),
                ..Changes::default()
            };
            app.state.store.commit_all(&changes, &audits).unwrap();
            batch.clear();
            secrets.clear();
            audits.clear();
        }
    }
    app.state.store.flush_blocking().unwrap();
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let app = spawn_app_with(&[("AGORA_LOG__LEVEL", "error")]).await;
        let admin = app.admin().await;
        let h = Arc::new(app.holder(&admin, "embedded").await);
        let (id, _, _) = admin.create_credential(&h, "template", "api_key").await;
        app.run_due().await;
        let template = app.state.store.credential(id.parse().unwrap()).unwrap().unwrap();
        let started = Instant::now();
        seed(&app, &template);
        eprintln!("seeded {TOTAL} credentials in {:.1?}", started.elapsed());

        println!("| backup of {TOTAL} credentials | writes paused | whole backup | file | entries |");
        println!("|---|---|---|---|---|");
        for round in 0..3 {
            let made = agora::ops::backup::back_up(&app.state, None).await.unwrap();
            let r = &made.report;
            println!(
                "| idle, run {} | {:.1} ms | {:.0} ms | {:.1} MiB | {} |",
                round + 1,
                r.pause.as_secs_f64() * 1e3,
                r.total.as_secs_f64() * 1e3,
                r.bytes as f64 / (1 << 20) as f64,
                r.entries
            );
        }

        // Under write load: 16 writers creating credentials through the pages.
        let stop = Arc::new(AtomicBool::new(false));
        let created = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..16)
            .map(|w| {
                let b = Browser {
                    client: admin.client.clone(),
                    base: admin.base.clone(),
                };
                let (h, stop, created) = (h.clone(), stop.clone(), created.clone());
                actix_web::rt::spawn(async move {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        b.create_credential(&h, &format!("load {w}-{i}"), "api_key").await;
                        created.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        let made = agora::ops::backup::back_up(&app.state, None).await.unwrap();
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
        let r = &made.report;
        println!(
            "| under 16 writers ({} credentials made meanwhile) | {:.1} ms | {:.0} ms | {:.1} MiB | {} |",
            created.load(Ordering::Relaxed),
            r.pause.as_secs_f64() * 1e3,
            r.total.as_secs_f64() * 1e3,
            r.bytes as f64 / (1 << 20) as f64,
            r.entries
        );

        let backup = agora::store::backup::Backup::read(&made.path).unwrap();
        let key = agora::crypto::master_key::MasterKey::load(&app.state.config.security.master_key_file)
            .unwrap();
        let target = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let restored = agora::store::backup::restore(
            &backup,
            &target.path().join("db"),
            &key,
            "bench",
            std::path::Path::new("key"),
        )
        .unwrap();
        println!(
            "\nrestore into a new directory: {} entries in {:.1} s",
            restored.entries,
            started.elapsed().as_secs_f64()
        );
        app.stop().await;
    });
}
