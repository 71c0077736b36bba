//! The scheduler: an actor whose periodic jobs (tokio-cron-scheduler) send
//! it messages. A sweep removes what has ended and asks each team's actor
//! to write the notices its team should read; no job writes a team's
//! records itself. Each job logs and swallows its own errors: one failed
//! sweep must not stop the scheduler.

use std::sync::{Arc, Weak};

use actix::{Actor, ActorFutureExt, Addr, AtomicResponse, Context, Handler, Message, WrapFuture};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use std::collections::BTreeMap;

use crate::actors::expiry::{ExpireDue, RemindDue};
use crate::actors::kicker::RunDue;
use crate::actors::notices::WindowClosing;
use crate::clock::Timestamp;
use crate::domain::ids::{CredentialId, TeamId};
use crate::ops::AppState;
use crate::store::StoreError;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub sessions: usize,
    /// Expired one-time links: invitations and password reset links.
    pub invitations: usize,
    /// Clear secrets destroyed because their view window closed.
    pub secrets: usize,
    /// Teams told that a secret stops being viewable within a day.
    pub notices: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the sweep's blocking task failed: {0}")]
    Task(String),
    #[error("a team actor did not answer: {0}")]
    Actor(#[from] actix::MailboxError),
    #[error("a team actor refused: {0}")]
    Team(#[from] crate::actors::team::TeamCommandError),
}

/// Removes ended sessions, expired invitations and reset links, and clear
/// secrets whose view window closed, and writes the gateway's last-used
/// times (on the blocking pool); then asks the teams' actors to tell their members of secrets
/// whose window closes within a day.
pub async fn sweep(state: &Arc<AppState>) -> Result<SweepReport, SweepError> {
    let s = state.clone();
    let (mut report, closing) = actix_web::rt::task::spawn_blocking(move || purge(&s))
        .await
        .map_err(|e| SweepError::Task(e.to_string()))??;
    let now = state.clock.now();
    for (credential, version) in closing {
        let Some(c) = state.store.credential(credential)? else {
            continue;
        };
        let msg = WindowClosing {
            credential,
            version,
            now,
        };
        if state.teams.send(c.team, msg).await?.is_ok() {
            report.notices += 1;
        }
    }
    Ok(report)
}

/// What one expiry check did.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct ExpiryReport {
    /// Credentials whose lifetime ended, now suspended or being removed.
    pub expired: usize,
    /// Reminders before expiry sent.
    pub reminded: usize,
}

/// Credentials taken per batch of an expiry check.
const EXPIRY_BATCH: usize = 1_000;
const MAX_BATCHES: usize = 100;

/// Finds the credentials whose lifetime has ended and those whose reminder
/// is due (both by time-ordered index, so the cost follows what is due) and
/// sends each team its own in one message; the teams' actors change them.
pub async fn check_expiry(state: &Arc<AppState>) -> Result<ExpiryReport, SweepError> {
    let mut report = ExpiryReport::default();
    // Bounded, so entries that would keep coming back cannot hold the
    // scheduler: what is left waits for the next check.
    for _ in 0..MAX_BATCHES {
        let now = state.clock.now();
        let due = state.store.due_expiries(now, EXPIRY_BATCH)?;
        let n = due.len();
        for (team, ids) in by_team(due) {
            state.teams.send(team, ExpireDue { ids }).await??;
        }
        report.expired += n;
        if n < EXPIRY_BATCH {
            break;
        }
    }
    for _ in 0..MAX_BATCHES {
        let now = state.clock.now();
        let due = state.store.due_reminders(now, EXPIRY_BATCH)?;
        let n = due.len();
        for (team, ids) in by_team(due) {
            state.teams.send(team, RemindDue { ids }).await??;
        }
        report.reminded += n;
        if n < EXPIRY_BATCH {
            break;
        }
    }
    Ok(report)
}

fn by_team(due: Vec<(TeamId, CredentialId)>) -> BTreeMap<TeamId, Vec<CredentialId>> {
    let mut teams: BTreeMap<TeamId, Vec<CredentialId>> = BTreeMap::new();
    for (team, id) in due {
        teams.entry(team).or_default().push(id);
    }
    teams
}

type Closing = Vec<(CredentialId, u32)>;

fn purge(state: &AppState) -> Result<(SweepReport, Closing), StoreError> {
    let now = state.clock.now();
    let sec = &state.config.security;
    let sessions = state
        .store
        .purge_sessions(|s| s.alive(now, sec.session_idle_timeout, sec.session_lifetime))?;
    let invitations = state.store.purge_invitations(now)? + state.store.purge_reset_links(now)?;
    state.store.purge_requests(now)?;
    let secrets = purge_secrets(state, now)?;
    let closing = state
        .store
        .windows_closing(now, now.plus(std::time::Duration::from_secs(86_400)))?;
    crate::ops::usage::sweep(state, now)?;
    state.store.flush_blocking()?;
    let report = SweepReport {
        sessions,
        invitations,
        secrets,
        notices: 0,
    };
    Ok((report, closing))
}

/// Secrets destroyed per batch of the purge.
const PURGE_BATCH: usize = 1_000;

/// Destroys the expired secrets in batches, resting as long as each batch
/// took: a large purge (100,000 secrets after a mass expiry) then uses at most
/// half a core and pages keep their latency while it runs.
fn purge_secrets(state: &AppState, now: Timestamp) -> Result<usize, StoreError> {
    let mut purged = 0;
    loop {
        let started = std::time::Instant::now();
        let n = state.store.purge_secrets(now, PURGE_BATCH)?;
        purged += n;
        if n < PURGE_BATCH {
            return Ok(purged);
        }
        std::thread::sleep(started.elapsed());
    }
}

/// The scheduler's actor: sweeps one at a time, on its jobs' word.
pub struct Scheduler {
    /// The jobs must not keep the application (and its database) alive after a stop.
    state: Weak<AppState>,
}

impl Scheduler {
    pub fn new(state: &Arc<AppState>) -> Self {
        Self {
            state: Arc::downgrade(state),
        }
    }
}

impl Actor for Scheduler {
    type Context = Context<Self>;
}

/// Look for ended lifetimes and due reminders now.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<ExpiryReport, SweepError>")]
pub struct CheckExpiry;

impl Handler<CheckExpiry> for Scheduler {
    type Result = AtomicResponse<Self, Result<ExpiryReport, SweepError>>;
    fn handle(&mut self, _: CheckExpiry, _: &mut Context<Self>) -> Self::Result {
        let state = self.state.upgrade();
        AtomicResponse::new(Box::pin(
            async move {
                match state {
                    Some(state) => check_expiry(&state).await,
                    None => Ok(ExpiryReport::default()),
                }
            }
            .into_actor(self)
            .map(|r, _, _| r),
        ))
    }
}

/// Sweep now.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<SweepReport, SweepError>")]
pub struct Sweep;

impl Handler<Sweep> for Scheduler {
    type Result = AtomicResponse<Self, Result<SweepReport, SweepError>>;
    fn handle(&mut self, _: Sweep, _: &mut Context<Self>) -> Self::Result {
        let state = self.state.upgrade();
        AtomicResponse::new(Box::pin(
            async move {
                match state {
                    Some(state) => sweep(&state).await,
                    None => Ok(SweepReport::default()),
                }
            }
            .into_actor(self)
            .map(|r, _, _| r),
        ))
    }
}

/// Take a backup into `[backup] dir` now.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<(), crate::ops::OpError>")]
pub struct TakeBackup;

impl Handler<TakeBackup> for Scheduler {
    type Result = AtomicResponse<Self, Result<(), crate::ops::OpError>>;
    fn handle(&mut self, _: TakeBackup, _: &mut Context<Self>) -> Self::Result {
        let state = self.state.upgrade();
        AtomicResponse::new(Box::pin(
            async move {
                match state {
                    Some(state) => crate::ops::backup::back_up(&state, None).await.map(|_| ()),
                    None => Ok(()),
                }
            }
            .into_actor(self)
            .map(|r, _, _| r),
        ))
    }
}

/// Starts the scheduler's actor and its jobs: a sweep every
/// `jobs.sweep_interval`, and a provisioning run every `provisioning.interval`.
pub async fn start(
    state: Arc<AppState>,
) -> Result<(JobScheduler, Addr<Scheduler>), JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let every = state.config.jobs.sweep_interval;
    let provisioner = state.provisioner.clone();
    let provision_every = state.config.provisioning.interval;
    let expiry_every = state.config.expiry.check_interval;
    let usage_every = state.config.usage.flush_interval;
    let me = Scheduler::new(&state).start();
    let to = me.clone();
    scheduler
        .add(Job::new_repeated_async(expiry_every, {
            let to = me.clone();
            move |_, _| {
                let to = to.clone();
                Box::pin(async move {
                    match to.send(CheckExpiry).await {
                        Ok(Ok(r)) if r != ExpiryReport::default() => tracing::info!(
                            expired = r.expired,
                            reminded = r.reminded,
                            "credentials expired and reminders sent"
                        ),
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "expiry check failed"),
                        Err(e) => tracing::error!(error = %e, "the scheduler did not answer"),
                    }
                })
            }
        })?)
        .await?;
    scheduler
        .add(Job::new_repeated_async(every, move |_, _| {
            let to = to.clone();
            Box::pin(async move {
                match to.send(Sweep).await {
                    Ok(Ok(r)) if r != SweepReport::default() => {
                        tracing::info!(
                            sessions = r.sessions,
                            invitations = r.invitations,
                            secrets = r.secrets,
                            notices = r.notices,
                            "sweep removed ended sessions, expired invitations and closed secrets"
                        );
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "sweep failed"),
                    Err(e) => tracing::error!(error = %e, "the scheduler did not answer"),
                }
            })
        })?)
        .await?;
    let weak = Arc::downgrade(&state);
    scheduler
        .add(Job::new_repeated_async(usage_every, move |_, _| {
            let weak = weak.clone();
            Box::pin(async move {
                let Some(state) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = crate::ops::usage::write(&state).await {
                    tracing::error!(error = %e, "writing the usage counts failed; they are kept for the next write");
                }
            })
        })?)
        .await?;
    scheduler
        .add(Job::new_repeated_async(provision_every, move |_, _| {
            let provisioner = provisioner.clone();
            Box::pin(async move {
                match provisioner.send(RunDue).await {
                    Ok(Ok(r)) if r.attempted > 0 => tracing::info!(
                        attempted = r.attempted,
                        done = r.done,
                        failed = r.failed,
                        "provisioning run"
                    ),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "provisioning run failed"),
                    Err(e) => tracing::error!(error = %e, "the provisioner did not answer"),
                }
            })
        })?)
        .await?;
    if let Some(backup_every) = state.config.backup.interval {
        let to = me.clone();
        scheduler
            .add(Job::new_repeated_async(backup_every, move |_, _| {
                let to = to.clone();
                Box::pin(async move {
                    match to.send(TakeBackup).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "scheduled backup failed"),
                        Err(e) => tracing::error!(error = %e, "the scheduler did not answer"),
                    }
                })
            })?)
            .await?;
    }
    scheduler.start().await?;
    Ok((scheduler, me))
}
