//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1). One hash takes
//! tens of milliseconds of CPU, so it runs on the blocking pool and a semaphore
//! bounds how many run at once: a burst of sign-ins cannot starve page rendering.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use crate::domain::account::{Password, PasswordHash};

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Failed(String),
    #[error("the password hashing pool is gone")]
    PoolGone,
}

/// Too many password checks are already waiting for a hashing slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Checks running or waiting; past `max_waiting` a check is refused at
    /// once, so a flood of guesses cannot queue without bound.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
    /// Verified against when an account does not exist, so an unknown email
    /// takes as long as a wrong password and does not reveal itself by timing.
    decoy: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        let decoy = hash_now(b"agora-decoy-password").unwrap_or_default();
        let concurrency = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: Arc::default(),
            // About a second of work at ~30 ms a hash.
            max_waiting: 32 * concurrency,
            decoy: decoy.into(),
        }
    }

    /// Like [`Self::verify`], but refused at once with [`Busy`] when too
    /// many checks are already waiting.
    pub async fn try_verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<bool, Busy> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // Counted down however the check ends, a dropped request included.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if before >= self.max_waiting {
            return Err(Busy);
        }
        Ok(self.verify(password, hash).await)
    }

    pub async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::PoolGone)?;
        let phc = actix_web::web::block(move || hash_now(password.expose()))
            .await
            .map_err(|_| HashError::PoolGone)??;
        Ok(PasswordHash(phc))
    }

    /// True when `password` matches `hash`. With no hash (unknown account, or an
    /// invitation not yet accepted) the decoy is checked and false returned.
    pub async fn verify(&self, password: Password, hash: Option<PasswordHash>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let known = hash.is_some();
        let phc = hash.map(|h| h.0).unwrap_or_else(|| self.decoy.to_string());
        let matched = actix_web::web::block(move || {
            Argon2::default()
                .verify_password(password.expose(), phc.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false);
        known && matched
    }
}

fn hash_now(password: &[u8]) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = PasswordHasher::new(2);
        let pw = Password::parse_new("correct horse".into(), "correct horse").unwrap();
        let hash = hasher.hash(pw.clone()).await.unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.0
        );
        assert!(hasher.verify(pw, Some(hash.clone())).await);
        assert!(
            !hasher
                .verify(Password::offered("wrong horse".into()), Some(hash))
                .await
        );
        assert!(
            !hasher
                .verify(Password::offered("agora-decoy-password".into()), None)
                .await
        );
    }
}
