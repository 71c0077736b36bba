//! The due-task sweep: reading what is due from the time-ordered outbox
//! index in a database of 100,000 tasks, with nothing due and with 1,000 due.
//!
//! Run: `cargo bench --bench outbox`. Results go in docs/benchmarks.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use agora::clock::Timestamp;
use agora::crypto::master_key::MasterKey;
use agora::domain::access::TaskOp;
use agora::domain::audit::AuditRecord;
use agora::domain::ids::{AccessId, ApplicationId, AuditId, ResourceId, TaskId, TeamId};
use agora::domain::outbox::{AccessGrant, Task, TaskState};
use agora::domain::resource::Quota;
use agora::store::{Changes, Store};

const TASKS: usize = 100_000;
const DUE: usize = 1_000;

fn task(now: Timestamp, next_at: Timestamp, team: TeamId) -> Task {
    let access = AccessId::generate(now);
    Task {
        id: TaskId::generate(now),
        key: format!("access:{access}:1:grant"),
        op: TaskOp::Grant,
        grant: AccessGrant {
            access,
            team,
            team_name: "Buyers".into(),
            application: ApplicationId::generate(now),
            application_name: "Mobile".into(),
            resource: ResourceId::generate(now),
            resource_name: "Forecast".into(),
            route: "/weather/".into(),
            plan_name: "Standard".into(),
            quota: Quota::default(),
            subscription: None,
            product: None,
            product_name: String::new(),
        },
        credential: None,
        dataplane: "embedded".into(),
        provider: team,
        state: TaskState::Due,
        attempts: 1,
        next_at,
        last_error: None,
        created_at: now,
    }
}

/// A store with `total` tasks, `due` of them due at `now`, the rest later.
fn seeded(dir: &std::path::Path, total: usize, due: usize, now: Timestamp) -> Store {
    let key_file = dir.join("agora.key");
    let key = MasterKey::load_or_create(&key_file).unwrap();
    let store = Store::open(&dir.join("data"), &key, &key_file).unwrap();
    let team = TeamId::generate(now);
    let mut batch = Vec::with_capacity(1_000);
    for i in 0..total {
        let next_at = if i < due {
            now
        } else {
            now.plus(Duration::from_secs(60 + (i % 3_600) as u64))
        };
        batch.push(task(now, next_at, team));
        if batch.len() == 1_000 || i + 1 == total {
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
                tasks: batch.iter().collect(),
                ..Changes::default()
            };
            store.commit(&changes, &audit).unwrap();
            batch.clear();
        }
    }
    store.flush_blocking().unwrap();
    store
}

fn bench(c: &mut Criterion) {
    let now = Timestamp::from_millis(1_767_225_600_000);
    let before = Timestamp::from_millis(now.as_millis() - 1);

    let big = tempfile::tempdir().unwrap();
    let store = seeded(big.path(), TASKS, DUE, now);
    assert_eq!(store.task_count(), TASKS);
    assert_eq!(store.due_tasks(now, usize::MAX).unwrap().len(), DUE);
    assert!(store.due_tasks(before, usize::MAX).unwrap().is_empty());

    let mut g = c.benchmark_group("due-task sweep, 100,000 tasks");
    g.bench_function("0 due", |b| {
        b.iter(|| black_box(store.due_tasks(before, 200).unwrap().len()))
    });
    g.bench_function("1,000 due (all read)", |b| {
        b.iter(|| black_box(store.due_tasks(now, DUE).unwrap().len()))
    });
    g.finish();

    let small = tempfile::tempdir().unwrap();
    let store = seeded(small.path(), DUE, DUE, now);
    c.bench_function("due-task sweep, 1,000 tasks, 1,000 due", |b| {
        b.iter(|| black_box(store.due_tasks(now, DUE).unwrap().len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
