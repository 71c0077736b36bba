//! Where the forgot-password form's requests wait for their work: looking
//! the address up, the per-account throttle, the link and its email all
//! happen here, after the answer. The form itself does the same few steps
//! whatever the address (the per-address throttle, then the queue), so how
//! long it takes to answer says nothing about who has an account.
//!
//! The work starts [`AFTER_ANSWER`] after its request, on a thread of its
//! own: begun at once, its writes and flush would compete for the CPU with
//! the answer still being sent, and a busy server would answer an address
//! with an account measurably later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;

use super::AppState;
use crate::clock::Timestamp;
use crate::domain::account::Email;

/// Requests waiting at most; past that a request is dropped (and logged),
/// as the throttle would: the answer stays the same.
const QUEUE: usize = 1_024;
/// Throttle entries kept at most before old windows are dropped.
const MAX_KEYS: usize = 100_000;
const WINDOW_MS: i64 = 3_600_000;
/// How long a request waits before its work starts: its answer has long
/// been sent by then, even on a loaded server.
pub const AFTER_ANSWER: Duration = Duration::from_millis(100);

/// A reset link asked for `email` at `at`.
pub(super) struct Ask {
    pub email: Email,
    pub at: Timestamp,
}

enum Job {
    /// A request, and when it was queued.
    Ask(Ask, Instant),
    /// Answered once every request queued before it is dealt with.
    Settled(oneshot::Sender<()>),
}

/// The throttle's counts and the queue of requests.
pub struct ResetDesk {
    counts: Mutex<HashMap<String, (i64, u32)>>,
    queue: mpsc::Sender<Job>,
    /// Taken by the worker when it starts.
    inbox: Mutex<Option<mpsc::Receiver<Job>>>,
}

impl Default for ResetDesk {
    fn default() -> Self {
        let (queue, inbox) = mpsc::channel(QUEUE);
        Self {
            counts: Mutex::default(),
            queue,
            inbox: Mutex::new(Some(inbox)),
        }
    }
}

impl ResetDesk {
    /// Counts one request for `key` in fixed hourly windows; false once
    /// `max` is used up.
    pub(super) fn take(&self, key: String, max: u32, now: Timestamp) -> bool {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let window = now.as_millis() / WINDOW_MS;
        if map.len() > MAX_KEYS {
            map.retain(|_, (w, _)| *w == window);
        }
        let e = map.entry(key).or_insert((window, 0));
        if e.0 != window {
            *e = (window, 0);
        }
        e.1 += 1;
        e.1 <= max
    }

    /// Queues a request without waiting; false when the queue is full.
    pub(super) fn queue(&self, ask: Ask) -> bool {
        self.queue.try_send(Job::Ask(ask, Instant::now())).is_ok()
    }

    /// Waits until every request queued before this call is dealt with:
    /// its link stored and its email in the delivery outbox. Returns at
    /// once when the worker is not running.
    pub async fn settled(&self) {
        let waiting = self
            .inbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        if waiting {
            return;
        }
        let (done, answer) = oneshot::channel();
        if self.queue.send(Job::Settled(done)).await.is_ok() {
            let _ = answer.await;
        }
    }
}

/// The running worker: stop it before the database closes.
pub struct Running {
    stop: Arc<Notify>,
    ended: oneshot::Receiver<()>,
    thread: actix::Arbiter,
}

impl Running {
    /// Deals with the requests already queued, then stops.
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.ended.await;
        self.thread.stop();
        let thread = self.thread;
        let _ = actix_web::rt::task::spawn_blocking(move || thread.join()).await;
    }
}

/// Starts the worker beside the application, on a thread of its own: its
/// storage calls block, and must not delay the answers of the thread that
/// would otherwise run it. `None` when it already runs.
pub fn start(state: &Arc<AppState>) -> Option<Running> {
    let inbox = state
        .resets
        .inbox
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()?;
    let stop = Arc::new(Notify::new());
    let (done, ended) = oneshot::channel();
    let thread = actix::Arbiter::new();
    let work = run(Arc::downgrade(state), inbox, stop.clone());
    thread.spawn(async move {
        work.await;
        let _ = done.send(());
    });
    Some(Running {
        stop,
        ended,
        thread,
    })
}

async fn run(state: Weak<AppState>, mut inbox: mpsc::Receiver<Job>, stop: Arc<Notify>) {
    loop {
        let job = tokio::select! {
            job = inbox.recv() => job,
            _ = stop.notified() => {
                // No request comes any more: finish those already queued.
                inbox.close();
                inbox.recv().await
            }
        };
        let Some(job) = job else {
            return;
        };
        match job {
            Job::Settled(done) => {
                let _ = done.send(());
            }
            Job::Ask(ask, queued) => {
                tokio::time::sleep_until(queued + AFTER_ANSWER).await;
                let Some(s) = state.upgrade() else {
                    return;
                };
                if let Err(e) = super::password_reset::send_link(&s, ask).await {
                    tracing::error!(error = %e, "sending a password reset link");
                }
            }
        }
    }
}
