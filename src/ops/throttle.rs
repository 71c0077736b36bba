//! Failed sign-ins and password confirmations, counted per account and per
//! client address within a sliding window; each attempt is counted before
//! its password is hashed. Kept in memory: a restart forgives, which is acceptable for
//! a speed bump whose job is to make guessing slow, not to keep history.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::domain::account::{Password, PasswordHash};
use crate::ops::password::{Busy, PasswordHasher};

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

    /// Starts an attempt: `Err(wait)` while the account or the address has
    /// used up its failures; otherwise the attempt is counted as a failure
    /// now, before any hashing, so that concurrent guesses cannot all pass
    /// the check while the first ones are still being hashed. A success then
    /// forgives the account ([`Self::record_success`]).
    pub fn begin(&self, account: &str, address: &str, now: Timestamp) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
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
        if !wait.is_zero() {
            return Err(wait.max(Duration::from_secs(1)));
        }
        if map.len() >= SWEEP_AT {
            map.retain(|_, v| v.iter().any(|t| now.since(*t) < self.window));
        }
        for key in [format!("a:{account}"), format!("i:{address}")] {
            let entry = map.entry(key).or_default();
            entry.retain(|t| now.since(*t) < self.window);
            entry.push(now);
        }
        Ok(())
    }

    /// Takes back an attempt that was never checked (the server was too busy to hash it).
    pub fn cancel(&self, account: &str, address: &str, at: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in [format!("a:{account}"), format!("i:{address}")] {
            if let Some(v) = map.get_mut(&key)
                && let Some(i) = v.iter().rposition(|t| *t == at)
            {
                v.remove(i);
            }
        }
    }

    /// A successful sign-in clears the account's count, and takes its own
    /// attempt back from the address's: the address keeps counting only its
    /// failures, so many people signing in behind one address are not
    /// throttled, and a guesser's failures stay counted.
    pub fn record_success(&self, account: &str, address: &str, at: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{account}"));
        if let Some(v) = map.get_mut(&format!("i:{address}"))
            && let Some(i) = v.iter().rposition(|t| *t == at)
        {
            v.remove(i);
        }
    }
}

/// What a person reads when their attempts are throttled.
pub fn throttled_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60);
    format!(
        "Too many failed password attempts. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

pub const BUSY_MESSAGE: &str =
    "Too many password checks are waiting just now. Try again in a few seconds.";

/// What checking a password offered at sign-in or as a confirmation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Matched,
    Wrong,
    /// Too many failures for the account or the address: try after this long.
    Throttled(Duration),
    /// Too many hashes already waiting; nothing was counted.
    Busy,
}

/// Checks a password under the throttle: the one path for sign-in and for
/// every re-authentication (View Credential, change password), so guesses
/// through any of them share the account's and the address's budgets.
pub async fn check_password(
    throttle: &LoginThrottle,
    hasher: &PasswordHasher,
    now: Timestamp,
    (account, address): (&str, &str),
    offered: Password,
    hash: Option<PasswordHash>,
) -> PasswordCheck {
    if let Err(wait) = throttle.begin(account, address, now) {
        return PasswordCheck::Throttled(wait);
    }
    match hasher.try_verify(offered, hash).await {
        Err(Busy) => {
            throttle.cancel(account, address, now);
            PasswordCheck::Busy
        }
        Ok(false) => PasswordCheck::Wrong,
        Ok(true) => {
            throttle.record_success(account, address, now);
            PasswordCheck::Matched
        }
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
            assert!(t.begin("ada", "1.1.1.1", t0).is_ok());
        }
        assert_eq!(t.begin("ada", "2.2.2.2", t0), Err(Duration::from_secs(900)));
        assert!(t.begin("bob", "1.1.1.1", t0).is_ok());
        let later = t0.plus(Duration::from_secs(901));
        assert!(t.begin("ada", "1.1.1.1", later).is_ok());
    }

    #[test]
    fn an_address_is_limited_across_accounts() {
        let t = LoginThrottle::new(100, 2, Duration::from_secs(60));
        let t0 = Timestamp::from_millis(0);
        assert!(t.begin("a", "9.9.9.9", t0).is_ok());
        assert!(t.begin("b", "9.9.9.9", t0).is_ok());
        assert!(t.begin("c", "9.9.9.9", t0).is_err());
        assert!(t.begin("c", "8.8.8.8", t0).is_ok());
    }

    #[test]
    fn success_forgives_the_account() {
        let t = LoginThrottle::new(1, 100, Duration::from_secs(60));
        let t0 = Timestamp::from_millis(0);
        assert!(t.begin("a", "1", t0).is_ok());
        assert!(t.begin("a", "1", t0).is_err());
        t.record_success("a", "1", t0);
        assert!(t.begin("a", "1", t0).is_ok());
    }

    #[test]
    fn successes_behind_one_address_do_not_use_up_its_failures() {
        let t = LoginThrottle::new(5, 3, Duration::from_secs(60));
        let t0 = Timestamp::from_millis(0);
        for n in 0..50 {
            let who = format!("person{n}");
            assert!(t.begin(&who, "10.0.0.1", t0).is_ok(), "{n}");
            t.record_success(&who, "10.0.0.1", t0);
        }
        // Its failures still count.
        for n in 0..3 {
            assert!(t.begin(&format!("guess{n}"), "10.0.0.1", t0).is_ok());
        }
        assert!(t.begin("guess3", "10.0.0.1", t0).is_err());
    }

    #[test]
    fn a_cancelled_attempt_is_not_counted() {
        let t = LoginThrottle::new(1, 100, Duration::from_secs(60));
        let t0 = Timestamp::from_millis(0);
        assert!(t.begin("a", "1", t0).is_ok());
        t.cancel("a", "1", t0);
        assert!(t.begin("a", "1", t0).is_ok());
    }
}
