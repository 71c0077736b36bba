//! One-time request ids: a form that creates or rotates something carries
//! one, and the first POST with it claims it. A repeated POST (the browser's
//! resubmit on reload, a double click) finds the claim and is led to the
//! first one's result instead of acting again.
//!
//! An API `Idempotency-Key` is kept the same way, bound to the request it
//! came with (its route, target and body): the same key with another
//! request finds the claim of a different one, never its result.

use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::{Store, StoreError};
use crate::clock::Timestamp;
use crate::crypto::digest::sha256;
use crate::domain::ids::UserId;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The id is new: act, then record where the result is.
    Fresh,
    /// Acted on before: its result is here.
    Done(String),
    /// Claimed, with no result recorded yet: being handled now (or cut short
    /// by a crash, in which case it may or may not have happened).
    InFlight,
    /// Claimed by another request: what that one was bound to (`None`: a
    /// claim kept before requests were bound, which matches no request).
    Other(Option<Binding>),
}

/// The request an id was first claimed with. Requests that are the same
/// bind alike; only those may share an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The method and the route's pattern.
    pub route: String,
    /// The path: the route with the objects it names.
    pub target: String,
    /// SHA-256 (hex) of the canonical body.
    pub body: String,
}

#[derive(Serialize, Deserialize)]
struct Record {
    at: Timestamp,
    result: Option<String>,
    #[serde(default)]
    binding: Option<Binding>,
}

/// Claims are kept this long, well past any reload of a form.
const KEEP_MS: i64 = 24 * 3_600 * 1_000;

fn once_key(user: UserId, id: &str) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(&user.to_bytes());
    k[16..].copy_from_slice(&sha256(id.as_bytes())[..16]);
    k
}

impl Store {
    /// Claims `id` for `user` and the request `binding` stands for,
    /// atomically: of two POSTs with one id, one is `Fresh` and the other
    /// sees its claim — as `Other` when it is not the same request.
    pub fn claim_request(
        &self,
        user: UserId,
        id: &str,
        binding: Option<&Binding>,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let _writing = self.writing();
        let key = once_key(user, id);
        let value = encode(&Record {
            at: now,
            result: None,
            binding: binding.cloned(),
        })?;
        match self
            .request_once
            .compare_and_swap(key, None as Option<&[u8]>, Some(value))?
        {
            Ok(()) => Ok(Claim::Fresh),
            Err(e) => match e.current.map(|v| decode::<Record>(&v)).transpose()? {
                Some(r) if r.binding.as_ref() != binding => Ok(Claim::Other(r.binding)),
                Some(Record {
                    result: Some(to), ..
                }) => Ok(Claim::Done(to)),
                _ => Ok(Claim::InFlight),
            },
        }
    }

    /// Records where the claimed request's result is.
    pub fn finish_request(
        &self,
        user: UserId,
        id: &str,
        binding: Option<&Binding>,
        now: Timestamp,
        result: &str,
    ) -> Result<(), StoreError> {
        let _writing = self.writing();
        let value = encode(&Record {
            at: now,
            result: Some(result.to_owned()),
            binding: binding.cloned(),
        })?;
        self.request_once.insert(once_key(user, id), value)?;
        Ok(())
    }

    /// Gives a claim back: the request changed nothing (its form is shown
    /// again with errors, and may be sent again with the same id).
    pub fn release_request(&self, user: UserId, id: &str) -> Result<(), StoreError> {
        let _writing = self.writing();
        self.request_once.remove(once_key(user, id))?;
        Ok(())
    }

    /// Forgets claims older than a day; returns how many.
    pub fn purge_requests(&self, now: Timestamp) -> Result<usize, StoreError> {
        let _writing = self.writing();
        let mut purged = 0;
        for kv in self.request_once.iter() {
            let (k, v) = kv?;
            let old =
                decode::<Record>(&v).map_or(true, |r| now.as_millis() - r.at.as_millis() > KEEP_MS);
            if old {
                self.request_once.remove(k)?;
                purged += 1;
            }
        }
        Ok(purged)
    }
}
