//! Durability: a write is acknowledged only once a flush has covered it.
//!
//! Flushes are grouped on a thread of their own. A caller queues what is
//! to happen once its writes are durable (an answer to send), and wakes
//! the thread. The thread starts a flush whenever the queue is not empty,
//! so while one runs the callers arriving meanwhile gather for the next,
//! and one flush answers them all. The answers go out from that thread:
//! no lock handed from waiter to waiter, and no task that must first be
//! polled on a busy executor before the next flush can start. (sled's own
//! `flush_async` is not used: it can leave near-simultaneous callers
//! waiting for ever, sled issues 1241 and 1308.)
//!
//! Flushes and transactions take turns ([`Turns`]). sled's flush holds
//! its database-wide lock shared for the whole flush, the disk's sync
//! included; a transaction needs that lock alone, and while one waits for
//! it, every read of every tree waits behind it. So a transaction that
//! met a flush stopped all reads until the flush ended. Waiting for its
//! turn here instead, a transaction waits alone and reads go on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{Store, StoreError};

/// The longest pause between two flushes.
const MAX_GAP: Duration = Duration::from_millis(1);

/// Held by each flush and each transaction, so they never meet inside
/// sled's lock (see the module's comment).
#[derive(Clone, Default)]
pub(super) struct Turns(Arc<Mutex<()>>);

impl Turns {
    pub(super) fn take(&self) -> std::sync::MutexGuard<'_, ()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What to do once a flush has covered a caller's writes (or failed to).
type Then = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

#[derive(Default)]
struct Queue {
    /// The callers waiting for the next flush to start and finish.
    waiting: Vec<Then>,
    /// Set when the store is dropped: the thread ends.
    stop: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    flushes: AtomicU64,
    answers: AtomicU64,
    micros: AtomicU64,
}

/// What the flushing thread has done since the store opened (`/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushStats {
    /// Flushes of the database.
    pub flushes: u64,
    /// Answers those flushes let go: more answers a flush, fewer flushes.
    pub answers: u64,
    /// Time spent flushing, in microseconds.
    pub micros: u64,
}

/// The flushing thread of one open store, ended when the store is dropped.
pub(super) struct Flusher {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flusher {
    pub(super) fn start(db: sled::Db, turns: Turns) -> std::io::Result<Flusher> {
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            wake: Condvar::new(),
            flushes: AtomicU64::new(0),
            answers: AtomicU64::new(0),
            micros: AtomicU64::new(0),
        });
        let thread = std::thread::Builder::new()
            .name("agora-flush".into())
            .spawn({
                let shared = shared.clone();
                move || run(&db, &turns, &shared)
            })?;
        Ok(Flusher {
            shared,
            thread: Some(thread),
        })
    }

    fn stats(&self) -> FlushStats {
        let s = &self.shared;
        FlushStats {
            flushes: s.flushes.load(Ordering::Relaxed),
            answers: s.answers.load(Ordering::Relaxed),
            micros: s.micros.load(Ordering::Relaxed),
        }
    }

    /// Runs `then` once a flush that started after this call has finished.
    fn after(&self, then: Then) {
        let mut q = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.waiting.push(then);
        drop(q);
        self.shared.wake.notify_one();
    }
}

/// Flushes while someone waits; sleeps otherwise. A flush answers every
/// caller queued before it started: their writes came before their call.
fn run(db: &sled::Db, turns: &Turns, shared: &Shared) {
    loop {
        let covered = {
            let mut q = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            while !q.stop && q.waiting.is_empty() {
                q = shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            if q.stop && q.waiting.is_empty() {
                return;
            }
            std::mem::take(&mut q.waiting)
        };
        let started = Instant::now();
        let flushed = {
            let _turn = turns.take();
            db.flush().map(|_| ()).map_err(StoreError::from)
        };
        let took = started.elapsed();
        shared.flushes.fetch_add(1, Ordering::Relaxed);
        (shared.answers).fetch_add(covered.len() as u64, Ordering::Relaxed);
        (shared.micros).fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        for then in covered {
            // One caller's answer going wrong must not stop the thread.
            let answer = std::panic::AssertUnwindSafe(|| then(flushed.clone()));
            if std::panic::catch_unwind(answer).is_err() {
                tracing::error!("an answer to a flush panicked");
            }
        }
        // A gap as long as the flush (at most 1 ms) lets the transactions
        // that waited for their turn in, and the next flush covers more.
        std::thread::sleep(took.min(MAX_GAP));
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Store {
    /// Makes every earlier write durable. Call before acknowledging a change.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.after_flush(move |r| {
            let _ = tx.send(r);
        });
        rx.await
            .map_err(|_| StoreError::Corrupt("the flushing thread has stopped".into()))?
    }

    /// Runs `then` on the flushing thread once every earlier write is
    /// durable, with the flush's error if it failed. `then` must be quick:
    /// an answer sent, a message posted.
    pub fn after_flush(&self, then: impl FnOnce(Result<(), StoreError>) + Send + 'static) {
        self.flusher.after(Box::new(then));
    }

    /// What the flushing thread has done since the store opened.
    pub fn flush_stats(&self) -> FlushStats {
        self.flusher.stats()
    }

    /// Its turn for a transaction: held just around sled's `transaction`
    /// call, never while waiting for a flush.
    pub(super) fn turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.turns.take()
    }

    /// Blocking flush, for actors and blocking tasks.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        let _turn = self.turn();
        self.db.flush()?;
        Ok(())
    }
}
