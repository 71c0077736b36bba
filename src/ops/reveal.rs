//! A secret just made — a credential's clear secret, an invitation link —
//! held for the GET page its POST redirects to: sealed in memory, bound to
//! the session that made it, never in a URL. It stays viewable there for a
//! few minutes (a reload shows it again); a secret with no view window is
//! shown once and then forgotten, and Agora keeps no copy at all.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::crypto::vault::Vault;
use crate::domain::ids::{CredentialId, EndpointId, UserId};
use crate::domain::key_format::KeyId;

/// Whose secret it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Credential(CredentialId),
    /// The invitation link of a person who has not set a password yet.
    Invitation(UserId),
    /// An API token just made.
    Token(KeyId),
    /// A webhook endpoint's signing secret.
    Endpoint(EndpointId),
}

impl Subject {
    fn bytes(self) -> [u8; 17] {
        let (tag, id) = match self {
            Subject::Credential(c) => (0, c.to_bytes()),
            Subject::Invitation(u) => (1, u.to_bytes()),
            Subject::Token(t) => (2, t.as_str().as_bytes().try_into().unwrap_or_default()),
            Subject::Endpoint(e) => (3, e.to_bytes()),
        };
        let mut out = [0u8; 17];
        out[0] = tag;
        out[1..].copy_from_slice(&id);
        out
    }
}

/// How long the result page keeps showing a secret that also has a view window.
pub const RESULT_PAGE_FOR: Duration = Duration::from_secs(10 * 60);

/// Secrets held at most; past this, the oldest are dropped.
const MAX_HELD: usize = 10_000;

struct Held {
    version: u32,
    sealed: Vec<u8>,
    made_by_plane: bool,
    renewed: bool,
    /// Shown once, then forgotten (a zero view window).
    once: bool,
    until: Timestamp,
}

/// What the result page shows.
pub struct Revealed {
    pub secret: String,
    pub made_by_plane: bool,
    pub renewed: bool,
}

#[derive(Default)]
pub struct Reveals {
    held: Mutex<HashMap<([u8; 32], Subject), Held>>,
}

fn aad(session: &[u8; 32], subject: Subject, version: u32) -> Vec<u8> {
    let mut aad = b"reveal:".to_vec();
    aad.extend_from_slice(session);
    aad.extend_from_slice(&subject.bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

pub struct Hold<'a> {
    pub session: &'a [u8; 32],
    pub subject: Subject,
    pub version: u32,
    pub made_by_plane: bool,
    pub renewed: bool,
    pub once: bool,
}

impl Reveals {
    /// Holds `secret` for the session's result page.
    pub fn hold(&self, vault: &Vault, h: Hold<'_>, secret: &str, now: Timestamp) {
        let sealed = vault.seal(secret.as_bytes(), &aad(h.session, h.subject, h.version));
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.len() >= MAX_HELD {
            held.retain(|_, v| v.until > now);
            if held.len() >= MAX_HELD {
                held.clear();
            }
        }
        held.insert(
            (*h.session, h.subject),
            Held {
                version: h.version,
                sealed,
                made_by_plane: h.made_by_plane,
                renewed: h.renewed,
                once: h.once,
                until: now.plus(RESULT_PAGE_FOR),
            },
        );
    }

    /// The secret held for this session and credential, if any is left; a
    /// shown-once secret is forgotten as it is taken.
    pub fn take(
        &self,
        vault: &Vault,
        session: &[u8; 32],
        subject: Subject,
        now: Timestamp,
    ) -> Option<Revealed> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let key = (*session, subject);
        let h = held.get(&key)?;
        if h.until <= now {
            held.remove(&key);
            return None;
        }
        let clear = vault
            .open(&h.sealed, &aad(session, subject, h.version))
            .ok()?;
        let revealed = Revealed {
            secret: String::from_utf8(clear).ok()?,
            made_by_plane: h.made_by_plane,
            renewed: h.renewed,
        };
        if h.once {
            held.remove(&key);
        }
        Some(revealed)
    }
}
