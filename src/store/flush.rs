//! Durability: a write is acknowledged only once a flush has covered it.

use super::{Store, StoreError};

/// The tickets of [`Store::flush`]: how many flushes were asked for, and
/// how many of those the last finished flush covered.
#[derive(Default)]
pub(super) struct Flusher {
    asked: std::sync::atomic::AtomicU64,
    covered: std::sync::atomic::AtomicU64,
    running: tokio::sync::Mutex<()>,
}

impl Store {
    /// Makes every earlier write durable. Call before acknowledging a change.
    ///
    /// Flushes are grouped: one runs at a time, on the blocking pool, and a
    /// caller whose write an already finished flush covered returns without
    /// another. Sixteen writers at once then share one or two fsyncs instead
    /// of queuing sixteen. (sled's own `flush_async` is not used: it can
    /// leave near-simultaneous callers waiting for ever, sled issues 1241
    /// and 1308.)
    pub async fn flush(&self) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let f = &self.flusher;
        // Everything this caller wrote came before this ticket.
        let mine = f.asked.fetch_add(1, SeqCst) + 1;
        let _one = f.running.lock().await;
        if f.covered.load(SeqCst) >= mine {
            return Ok(());
        }
        // This flush starts after every ticket taken so far.
        let upto = f.asked.load(SeqCst);
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| StoreError::Corrupt(format!("the flush task failed: {e}")))??;
        f.covered.store(upto, SeqCst);
        Ok(())
    }

    /// Blocking flush, for actors and blocking tasks.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}
