//! In-memory copies of what pages read on every view, kept consistent with
//! storage by a version: a value read from storage is kept only if no write
//! to its kind landed while it was being read. Writers change storage first,
//! then bump the version and drop the keys they touched, so a kept value is
//! never older than the last committed write.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) struct Versioned<K, V> {
    version: AtomicU64,
    entries: Mutex<Entries<K, V>>,
    /// The most weight kept; past it the cache starts over.
    capacity: usize,
}

struct Entries<K, V> {
    map: HashMap<K, (V, usize)>,
    weight: usize,
}

impl<K: Eq + Hash, V: Clone> Versioned<K, V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            version: AtomicU64::new(0),
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                weight: 0,
            }),
            capacity,
        }
    }

    pub(super) fn get(&self, key: &K) -> Option<V> {
        self.lock().map.get(key).map(|(v, _)| v.clone())
    }

    /// Take before reading storage; hand to [`Self::keep`] after.
    pub(super) fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Keeps a value read from storage, unless a write landed since `seen`
    /// or it alone weighs more than the cache may hold.
    pub(super) fn keep(&self, key: K, value: V, weight: usize, seen: u64) {
        if weight > self.capacity {
            return;
        }
        let mut e = self.lock();
        if self.version() != seen {
            return;
        }
        if e.weight + weight > self.capacity {
            e.map.clear();
            e.weight = 0;
        }
        e.weight += weight;
        if let Some((_, old)) = e.map.insert(key, (value, weight)) {
            e.weight -= old;
        }
    }

    /// After a write to storage: the keys whose values it changed.
    pub(super) fn changed(&self, keys: impl IntoIterator<Item = K>) {
        let mut keys = keys.into_iter().peekable();
        if keys.peek().is_none() {
            return; // a commit that touched none: no lock on its path
        }
        self.version.fetch_add(1, Ordering::SeqCst);
        let mut e = self.lock();
        for k in keys {
            if let Some((_, w)) = e.map.remove(&k) {
                e.weight -= w;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // A panic while holding the lock leaves only a cache behind.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_read_while_a_write_landed_is_not_kept() {
        let c = Versioned::<u32, &str>::new(10);
        let seen = c.version();
        c.changed([1]);
        c.keep(1, "before the write", 1, seen);
        assert_eq!(c.get(&1), None);
        c.keep(1, "after", 1, c.version());
        assert_eq!(c.get(&1), Some("after"));
        c.changed([1]);
        assert_eq!(c.get(&1), None);
    }

    #[test]
    fn past_its_capacity_the_cache_starts_over() {
        let c = Versioned::<u32, u32>::new(10);
        c.keep(1, 1, 6, c.version());
        c.keep(2, 2, 4, c.version());
        assert_eq!((c.get(&1), c.get(&2)), (Some(1), Some(2)));
        c.keep(3, 3, 1, c.version());
        assert_eq!((c.get(&1), c.get(&2), c.get(&3)), (None, None, Some(3)));
        // Replacing a value counts only its new weight.
        c.keep(3, 4, 9, c.version());
        c.changed([3]);
        c.keep(5, 5, 10, c.version());
        assert_eq!(c.get(&5), Some(5));
        // A value heavier than the whole cache is not kept, and evicts nothing.
        c.keep(6, 6, 11, c.version());
        assert_eq!((c.get(&5), c.get(&6)), (Some(5), None));
    }

    #[test]
    fn a_write_that_touches_nothing_leaves_the_version() {
        let c = Versioned::<u32, u32>::new(10);
        let seen = c.version();
        c.changed(std::iter::empty());
        assert_eq!(c.version(), seen);
    }
}
