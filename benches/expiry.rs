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
/// Checks measured per size, each with its own `DUE` credentials: the
/// median and the slowest are reported.
const ROUNDS: usize = 5;

/// Adds `total` credentials under the holder's access: `DUE` of them end
/// their lifetime on each of the next `ROUNDS` days, the others in a year.
fn seed(app: &TestApp, template: &Credential, total: usize) -> Vec<Vec<CredentialId>> {
    let now = app.state.clock.now();
    let mut batch = Vec::new();
    let mut due = vec![Vec::new(); ROUNDS];
    let mut soon = 0;
    for i in 0..total {
        let mut c = template.clone();
        c.id = CredentialId::generate(now);
        c.key_id = KeyId::generate();
        c.name = format!("seeded {i}");
        c.task = None;
        let lifetime = if i % (total / (DUE * ROUNDS)) == 0 {
            let round = soon % ROUNDS;
            soon += 1;
            due[round].push(c.id);
            (round as u32 + 1) * DAY
        } else {
            365 * DAY
        };
        c.expires_at = Some(now.plus(lifetime));
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
    due
}

/// The check with nothing due, and each round's check that finds and
/// queues `DUE` credentials.
async fn run(total: usize) -> (Duration, Vec<Duration>) {
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
    let rounds = seed(&app, &template, total);
    eprintln!("seeded {total} credentials in {:.1?}", started.elapsed());

    // Nothing due yet: the check reads one index entry's worth.
    let started = Instant::now();
    let none = agora::scheduler::check_expiry(&app.state).await.unwrap();
    let idle = started.elapsed();
    assert_eq!(none.expired, 0);

    let mut times = Vec::new();
    for due_ids in rounds {
        app.advance(DAY);
        let started = Instant::now();
        let report = agora::scheduler::check_expiry(&app.state).await.unwrap();
        times.push(started.elapsed());
        assert_eq!(report.expired, DUE);
        // Each is expired and has its data-plane task (which the outbox may
        // already have run).
        for id in due_ids {
            let c = app.state.store.credential(id).unwrap().unwrap();
            assert!(
                c.expired && c.task_seq > template.task_seq,
                "{id} not queued"
            );
        }
        app.run_due().await;
    }
    app.stop().await;
    (idle, times)
}

fn main() {
    // `AGORA_EXPIRY_TOTALS=100000` measures one size only.
    let totals: Vec<usize> = std::env::var("AGORA_EXPIRY_TOTALS")
        .map(|v| v.split(',').map(|n| n.trim().parse().unwrap()).collect())
        .unwrap_or_else(|_| vec![10_000, 100_000]);
    actix_web::rt::System::new().block_on(async {
        println!(
            "| credentials | due per check | check with none due | check finding and queuing the due ones: median of {ROUNDS} | slowest |"
        );
        println!("|---|---|---|---|---|");
        for total in totals {
            let (idle, mut times) = run(total).await;
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "| {total} | {DUE} | {:.2} ms | {:.1} ms | {:.1} ms |",
                ms(idle),
                ms(times[ROUNDS / 2]),
                ms(times[ROUNDS - 1])
            );
        }
    });
}
