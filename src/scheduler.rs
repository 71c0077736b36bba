//! Periodic jobs. Each job logs and swallows its own errors: one failed sweep
//! must not stop the scheduler.

use std::sync::Arc;

use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::actors::kicker::RunDue;
use crate::ops::AppState;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub sessions: usize,
    pub invitations: usize,
    /// Clear secrets destroyed because their view window closed.
    pub secrets: usize,
}

/// Removes ended sessions, expired invitations and clear secrets whose view
/// window closed, and writes the gateway's last-used times. Blocking: call it
/// off the async executor.
pub fn sweep(state: &AppState) -> Result<SweepReport, crate::store::StoreError> {
    let now = state.clock.now();
    let sec = &state.config.security;
    let sessions = state
        .store
        .purge_sessions(|s| s.alive(now, sec.session_idle_timeout, sec.session_lifetime))?;
    let invitations = state.store.purge_invitations(now)?;
    state.store.purge_requests(now)?;
    let secrets = purge_secrets(state, now)?;
    notify_windows_closing(state, now)?;
    state
        .store
        .record_last_used(&state.gateway.take_last_used())?;
    state.store.flush_blocking()?;
    Ok(SweepReport {
        sessions,
        invitations,
        secrets,
    })
}

/// Secrets destroyed per batch of the purge.
const PURGE_BATCH: usize = 1_000;

/// Destroys the expired secrets in batches, resting as long as each batch
/// took: a large purge (100,000 secrets after a mass expiry) then uses at most
/// half a core and pages keep their latency while it runs.
fn purge_secrets(
    state: &AppState,
    now: crate::clock::Timestamp,
) -> Result<usize, crate::store::StoreError> {
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

/// Tells each team whose credential's secret stops being viewable within 24 h, once.
fn notify_windows_closing(
    state: &AppState,
    now: crate::clock::Timestamp,
) -> Result<(), crate::store::StoreError> {
    let soon = now.plus(std::time::Duration::from_secs(86_400));
    for (id, version) in state.store.windows_closing(now, soon)? {
        let Some(c) = state.store.credential(id)? else {
            continue;
        };
        if c.secret_version != version || !state.store.mark_window_notice(id, version)? {
            continue;
        }
        let at = now;
        let until = c.window_until.unwrap_or(soon);
        let notes: Vec<_> = state
            .store
            .members(c.team)?
            .into_iter()
            .map(|m| crate::domain::notification::Notification {
                id: crate::domain::ids::NotificationId::generate(at),
                user: m.user_id,
                at,
                text: format!(
                    "The secret of credential {} can be viewed for {} more; after that it is gone from Agora.",
                    c.name,
                    crate::domain::credential::time_left(now, until).trim_end_matches(" left")
                ),
                link: format!("/teams/{}/credentials/{}", c.team, c.id),
                read: false,
            })
            .collect();
        state.store.notify(&notes)?;
    }
    Ok(())
}

/// Starts the scheduler: the sweep every `jobs.sweep_interval`, and a
/// provisioning run every `provisioning.interval`.
pub async fn start(state: Arc<AppState>) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let every = state.config.jobs.sweep_interval;
    let provisioner = state.provisioner.clone();
    let provision_every = state.config.provisioning.interval;
    // The jobs must not keep the application (and its database) alive after a stop.
    let state = Arc::downgrade(&state);
    scheduler
        .add(Job::new_repeated_async(every, move |_, _| {
            let state = state.upgrade();
            Box::pin(async move {
                let Some(state) = state else { return };
                match actix_web::rt::task::spawn_blocking(move || sweep(&state)).await {
                    Ok(Ok(r)) if r != SweepReport::default() => {
                        tracing::info!(
                            sessions = r.sessions,
                            invitations = r.invitations,
                            secrets = r.secrets,
                            "sweep removed ended sessions, expired invitations and closed secrets"
                        );
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "sweep failed"),
                    Err(e) => tracing::error!(error = %e, "sweep task failed"),
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
    scheduler.start().await?;
    Ok(scheduler)
}
