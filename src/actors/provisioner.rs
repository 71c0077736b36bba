//! The provisioning engine: carries out due tasks from the outbox on their
//! data planes and reports each result to the owning team's actor, which
//! records it (and schedules a retry) in one transaction.
//!
//! One actor, one run at a time: a run started while another is going waits
//! for it, so a task is never delivered twice at once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use actix::{Actor, ActorFutureExt, AtomicResponse, Context, Handler, WrapFuture};
use futures_util::future::join_all;

use super::access::{ProvisionResult, ProvisionResults};
use super::kicker::{RunDue, RunReport};
use super::registry::TeamRegistry;
use crate::clock::SharedClock;
use crate::dataplane::{DataPlaneError, DataPlanes};
use crate::domain::ids::TeamId;
use crate::domain::outbox::Task;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// Tasks read per batch; a run keeps reading batches while tasks are due.
const BATCH: usize = 200;
/// Batches in one run at most, so a run always ends.
const MAX_BATCHES: usize = 50;
/// Results gathered before the teams' actors record them.
const IN_FLIGHT: usize = 32;

pub struct Provisioner {
    store: Store,
    clock: SharedClock,
    planes: DataPlanes,
    teams: TeamRegistry,
    metrics: Arc<Metrics>,
}

impl Provisioner {
    pub fn new(
        store: Store,
        clock: SharedClock,
        planes: DataPlanes,
        teams: TeamRegistry,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            clock,
            planes,
            teams,
            metrics,
        }
    }
}

impl Actor for Provisioner {
    type Context = Context<Self>;
}

async fn run(
    store: Store,
    clock: SharedClock,
    planes: DataPlanes,
    teams: TeamRegistry,
    metrics: Arc<Metrics>,
) -> Result<RunReport, StoreError> {
    let mut report = RunReport::default();
    // A task rescheduled to "now" by a zero jitter waits for the next run.
    let mut seen = HashSet::new();
    for _ in 0..MAX_BATCHES {
        let due: Vec<_> = store
            .due_tasks(clock.now(), BATCH)?
            .into_iter()
            .filter(|t| seen.insert(t.id))
            .collect();
        if due.is_empty() {
            break;
        }
        // A plane carries out a few tasks at a time (the embedded one in one
        // transaction), and their results go to the teams' actors together,
        // each team's in one message: its actor records them in one
        // transaction and one flush covers them, instead of one of each per
        // task.
        let mut due = due.into_iter().peekable();
        while due.peek().is_some() {
            let chunk: Vec<Task> = due.by_ref().take(IN_FLIGHT).collect();
            let mut answers = Vec::with_capacity(chunk.len());
            for (plane, tasks) in by_plane(chunk) {
                let results = match planes.get(&plane) {
                    Some(p) => p.apply_all(&tasks).await,
                    None => tasks
                        .iter()
                        .map(|_| {
                            Err(DataPlaneError::Permanent(format!(
                                "the data plane {plane} is not configured"
                            )))
                        })
                        .collect(),
                };
                for (task, result) in tasks.iter().zip(results) {
                    report.attempted += 1;
                    let outcome = match &result {
                        Ok(_) => "done",
                        Err(DataPlaneError::Permanent(_)) => "failed",
                        Err(_) => "retry",
                    };
                    match &result {
                        Ok(_) => report.done += 1,
                        Err(_) => report.failed += 1,
                    }
                    metrics.outcome("provisioning", &plane, outcome);
                    answers.push((
                        task.grant.team,
                        ProvisionResult {
                            task: task.id,
                            result,
                            jitter: crate::crypto::random::unit(),
                        },
                    ));
                }
            }
            record(&teams, answers).await;
        }
    }
    Ok(report)
}

/// Tasks grouped by their data plane, in the order each plane first
/// appears; each group keeps the tasks' order, so a credential's tasks reach
/// its plane in the order they were made.
fn by_plane(tasks: Vec<Task>) -> Vec<(String, Vec<Task>)> {
    let mut groups: Vec<(String, Vec<Task>)> = Vec::new();
    for task in tasks {
        match groups.iter_mut().find(|(p, _)| *p == task.dataplane) {
            Some((_, g)) => g.push(task),
            None => groups.push((task.dataplane.clone(), vec![task])),
        }
    }
    groups
}

/// Sends each team its answers in one message and waits until all are recorded.
async fn record(teams: &TeamRegistry, answers: Vec<(TeamId, ProvisionResult)>) {
    let mut by_team: BTreeMap<TeamId, Vec<ProvisionResult>> = BTreeMap::new();
    for (team, answer) in answers {
        by_team.entry(team).or_default().push(answer);
    }
    join_all(by_team.into_iter().map(|(team, answers)| async move {
        let n = answers.len();
        match teams.send(team, ProvisionResults(answers)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(%team, answers = n, error = %e, "recording provisioning results failed")
            }
            Err(e) => {
                tracing::error!(%team, answers = n, error = %e, "the team actor did not answer")
            }
        }
    }))
    .await;
}

impl Handler<RunDue> for Provisioner {
    type Result = AtomicResponse<Self, Result<RunReport, StoreError>>;

    fn handle(&mut self, _: RunDue, _: &mut Context<Self>) -> Self::Result {
        let work = run(
            self.store.clone(),
            self.clock.clone(),
            self.planes.clone(),
            self.teams.clone(),
            self.metrics.clone(),
        );
        AtomicResponse::new(Box::pin(work.into_actor(self).map(|r, _, _| r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::TaskOp;
    use crate::domain::outbox::samples;

    fn task(key: &str, plane: &str) -> Task {
        samples::task(&samples::grant(), key, TaskOp::Grant, plane, None)
    }

    #[test]
    fn tasks_go_to_their_planes_in_the_order_they_were_made() {
        let tasks = ["1", "2", "3", "4", "5"]
            .into_iter()
            .zip(["embedded", "agent", "embedded", "manual", "agent"])
            .map(|(key, plane)| task(key, plane))
            .collect();
        let groups: Vec<(String, Vec<String>)> = by_plane(tasks)
            .into_iter()
            .map(|(plane, tasks)| (plane, tasks.into_iter().map(|t| t.key).collect()))
            .collect();
        let expected: Vec<(String, Vec<String>)> = [
            ("embedded", vec!["1", "3"]),
            ("agent", vec!["2", "5"]),
            ("manual", vec!["4"]),
        ]
        .into_iter()
        .map(|(p, keys)| (p.to_owned(), keys.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(groups, expected);
    }
}
