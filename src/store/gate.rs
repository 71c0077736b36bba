//! The write gate: every store write holds it shared, a backup's snapshot
//! holds it alone (see `Store::writing` and `Store::snapshot`).

/// A write's share of [`Store::writing`]'s gate. The gate prefers a
/// waiting snapshot to new writers, so a write that took it twice could
/// wait behind a snapshot that waits for it: debug builds refuse that.
pub(crate) struct Writing<'a> {
    _shared: std::sync::RwLockReadGuard<'a, ()>,
}

thread_local! {
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl<'a> Writing<'a> {
    pub(super) fn enter(gate: &'a std::sync::RwLock<()>) -> Self {
        debug_assert!(
            !WRITING.with(|w| w.replace(true)),
            "a store write took the write gate twice"
        );
        Writing {
            _shared: gate.read().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
    }
}
