//! One provisioning run end to end: 1,000 due grants in a database of
//! 100,000 tasks, carried out on the embedded data plane, each result
//! recorded by its team's actor in one flushed transaction.
//!
//! Run: `cargo bench --bench engine`. It prints one line per repetition;
//! results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora::actors::kicker::RunDue;
use agora::clock::{Clock, ManualClock, Timestamp};
use agora::domain::access::{AccessRequest, Approval, Provisioning, TaskOp};
use agora::domain::audit::AuditRecord;
use agora::domain::ids::*;
use agora::domain::outbox::{AccessGrant, Task, TaskState};
use agora::domain::resource::Quota;
use agora::startup::Application;
use agora::store::Changes;
use common::settings_on;

const TASKS: usize = 100_000;
const DUE: usize = 1_000;

fn pair(now: Timestamp, next_at: Timestamp, team: TeamId) -> (AccessRequest, Task) {
    let access = AccessId::generate(now);
    let application = ApplicationId::generate(now);
    let resource = ResourceId::generate(now);
    let task = Task {
        id: TaskId::generate(now),
        key: format!("access:{access}:1:grant"),
        op: TaskOp::Grant,
        grant: AccessGrant {
            access,
            team,
            team_name: "Buyers".into(),
            application,
            application_name: "Mobile".into(),
            resource,
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
        attempts: 0,
        next_at,
        last_error: None,
        created_at: now,
    };
    let request = AccessRequest {
        id: access,
        team,
        provider: team,
        application,
        product: ProductId::generate(now),
        resource,
        subscription: SubscriptionId::generate(now),
        plan: PlanId::generate(now),
        dataplane: "embedded".into(),
        name: "Mobile – Forecast".into(),
        values: Default::default(),
        approval: Approval::Approved,
        provisioning: Provisioning::Pending,
        requested_by: UserId::generate(now),
        created_at: now,
        decided_at: Some(now),
        provisioned_at: None,
        revoked_at: None,
        reason: None,
        task: Some(task.id),
        last_error: None,
        version: 1,
    };
    (request, task)
}

fn main() {
    let repetitions = 3;
    for round in 1..=repetitions {
        let dir = tempfile::tempdir().unwrap();
        let config = settings_on(dir.path(), &[("AGORA_LOG__LEVEL", "error")]);
        let clock = ManualClock::at_test_epoch();
        let now = clock.now();
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config, Arc::new(clock.clone())).unwrap();
            let state = app.state();
            let team = TeamId::generate(now);
            let mut batch = Vec::with_capacity(1_000);
            for i in 0..TASKS {
                // The first DUE fall due in one minute; the rest later.
                let secs = if i < DUE { 60 } else { 3_600 + (i % 3_600) as u64 };
                batch.push(pair(now, now.plus(Duration::from_secs(secs)), team));
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
                        new_accesses: batch.iter().map(|(a, _)| a).collect(),
                        tasks: batch.iter().map(|(_, t)| t).collect(),
                        ..Changes::default()
                    };
                    state.store.commit(&changes, &audit).unwrap();
                    batch.clear();
                }
            }
            state.store.flush().await.unwrap();
            clock.advance(Duration::from_secs(61));
            let started = Instant::now();
            let report = state.provisioner.send(RunDue).await.unwrap().unwrap();
            let took = started.elapsed();
            assert_eq!(report.done, DUE, "{report:?}");
            assert_eq!(state.store.task_count(), TASKS - DUE);
            assert_eq!(state.store.embedded_grant_count(), DUE);
            println!(
                "run {round}: {DUE} due of {TASKS} tasks carried out and recorded in {:.0} ms ({:.0} µs per task)",
                took.as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e6 / DUE as f64
            );
            drop(state);
        });
    }
}
