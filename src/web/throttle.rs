//! Failed sign-ins, counted per account and per client address within a
//! sliding window. Kept in memory: a restart forgives, which is acceptable for
//! a speed bump whose job is to make guessing slow, not to keep history.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;

pub struct LoginThrottle {
    per_account: u32,
    per_address: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Timestamp>>>,
}

/// Entries kept before old ones are swept, so a flood of addresses cannot grow memory without bound.
const SWEEP_AT: usize = 10_000;

impl LoginThrottle {
    pub fn new(per_account: u32, per_address: u32, window: Duration) -> Self {
        Self {
            per_account,
            per_address,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while the account or the address has used up its failures.
    pub fn check(&self, account: &str, address: &str, now: Timestamp) -> Result<(), Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in [
            (format!("a:{account}"), self.per_account),
            (format!("i:{address}"), self.per_address),
        ] {
            let recent: Vec<Timestamp> = map
                .get(&key)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|t| now.since(*t) < self.window)
                        .collect()
                })
                .unwrap_or_default();
            if recent.len() >= limit as usize {
                let oldest_relevant = recent[recent.len() - limit as usize];
                wait = wait.max(self.window.saturating_sub(now.since(oldest_relevant)));
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    pub fn record_failure(&self, account: &str, address: &str, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, v| v.iter().any(|t| now.since(*t) < self.window));
        }
        for key in [format!("a:{account}"), format!("i:{address}")] {
            let entry = map.entry(key).or_default();
            entry.retain(|t| now.since(*t) < self.window);
            entry.push(now);
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_failures_until_the_window_passes() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(900));
        let t0 = Timestamp::from_millis(0);
        for _ in 0..3 {
            assert!(t.check("ada", "1.1.1.1", t0).is_ok());
            t.record_failure("ada", "1.1.1.1", t0);
        }
        assert_eq!(t.check("ada", "2.2.2.2", t0), Err(Duration::from_secs(900)));
        assert!(t.check("bob", "1.1.1.1", t0).is_ok());
        let later = t0.plus(Duration::from_secs(901));
        assert!(t.check("ada", "1.1.1.1", later).is_ok());
    }

    #[test]
    fn an_address_is_limited_across_accounts() {
        let t = LoginThrottle::new(100, 2, Duration::from_secs(60));
        let t0 = Timestamp::from_millis(0);
        t.record_failure("a", "9.9.9.9", t0);
        t.record_failure("b", "9.9.9.9", t0);
        assert!(t.check("c", "9.9.9.9", t0).is_err());
        assert!(t.check("c", "8.8.8.8", t0).is_ok());
    }

    #[test]
    fn success_forgives_the_account() {
        let t = LoginThrottle::new(1, 100, Duration::from_secs(60));
        let t0 = Timestamp::from_millis(0);
        t.record_failure("a", "1", t0);
        assert!(t.check("a", "1", t0).is_err());
        t.record_success("a");
        assert!(t.check("a", "1", t0).is_ok());
    }
}
