//! The expiry check at scale: with 100,000 credentials of which 1,000 have
//! just reached the end of their lifetime, how long finding them and
//! queuing their suspension (through their team's actor: state, outbox
//! task, notice and audit, flushed) takes — and the same with 10,000
//! credentials, to show the cost follows what is due, not how many there
//! are. Also the check when nothing is due.
//!
//! Run: `cargo bench --bench expiry`. Results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use agora::domain::audit::AuditRecord;
use agora::domain::credential::Credential;
use agora::domain::expiry::AtExpiry;
use agora::domain::ids::{AuditId, CredentialId};
use agora::domain::key_format::KeyId;
use agora::store::Changes;
use common::*;

const DAY: Duration = Duration::from_secs(86_400);
const DUE: usize = 1_000;

/// Adds `total` credentials under the holder's access: `DUE` of them end
/// their lifetime in a day, the others in a year.
fn seed(app: &TestApp, template: &Credential, total: usize) {
    let now = app.state.clock.now();
    let mut batch = Vec::new();
    for i in 0..total {
        let mut c = template.clone();
        c.id = CredentialId::generate(now);
        c.key_id = KeyId::generate();
        c.name = format!("seeded {i}");
        c.task = None;
        c.expires_at = Some(now.plus(if i % (total / DUE) == 0 {
            DAY
        } else {
            365 * DAY
        }));
        c.at_expiry = AtExpiry::Suspend;
        batch.push(c);
        if batch.len() == 1_000 || i + 1 == total {
            let audit = AuditRecord {
                id: AuditId::generate(now),
                at: now,
                actor: None,
                team: Some(template.team),
                action: "seed".into(),
                detail: String::new(),
                subject: None,
            };
            let changes = Changes {
                credentials: batch.iter().collect(),
                ..Changes::default()
            };
            app.state.store.commit(&changes, &audit).unwrap();
            batch.clear();
        }
    }
    app.state.store.flush_blocking().unwrap();
}

async fn run(total: usize) -> (Duration, Duration, usize) {
    let app = spawn_app_with(&[("AGORA_LOG__LEVEL", "error")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _, _) = admin.create_credential(&h, "template", "api_key").await;
    app.run_due().await;
    let template = app
        .state
        .store
        .credential(id.parse().unwrap())
        .unwrap()
        .unwrap();
    let started = Instant::now();
    seed(&app, &template, total);
    eprintln!("seeded {total} credentials in {:.1?}", started.elapsed());

    // Nothing due yet: the check reads one index entry's worth.
    let started = Instant::now();
    let none = agora::scheduler::check_expiry(&app.state).await.unwrap();
    let idle = started.elapsed();
    assert_eq!(none.expired, 0);

    app.advance(DAY + Duration::from_secs(1));
    let started = Instant::now();
    let report = agora::scheduler::check_expiry(&app.state).await.unwrap();
    let due = started.elapsed();
    assert_eq!(report.expired, DUE);
    let queued = app
        .state
        .store
        .due_tasks(app.state.clock.now(), 10 * DUE)
        .unwrap()
        .len();
    assert!(queued >= DUE, "{queued} tasks queued");
    app.stop().await;
    (idle, due, report.expired)
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        println!(
            "| credentials | due | check with none due | check finding and queuing the due ones |"
        );
        println!("|---|---|---|---|");
        for total in [10_000, 100_000] {
            let (idle, due, n) = run(total).await;
            println!(
                "| {total} | {n} | {:.2} ms | {:.1} ms |",
                idle.as_secs_f64() * 1e3,
                due.as_secs_f64() * 1e3
            );
        }
    });
}
