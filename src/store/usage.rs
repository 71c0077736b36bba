//! Usage counts in buckets. One tree holds every granularity, keyed by
//! granularity, bucket start, team, application, credential and secret
//! version, so a bucket's rows for one credential, one application or one
//! team are one prefix, and everything older than a cutoff is one range at
//! the front of its granularity: retention removes it at a cost that
//! follows what it removes. A second tree keeps the same counts per
//! resource and consumer (team and application) for the provider's pages.
//!
//! Values are a byte saying which outcomes are present and a varint for
//! each: a bucket of allowed calls only is two to four bytes.

use std::collections::BTreeMap;

use super::{Store, StoreError};
use crate::clock::Timestamp;
use crate::domain::ids::{ApplicationId, CredentialId, ResourceId, TeamId};
use crate::domain::usage::{Counts, Granularity, Retention, Sample};

const BUCKET: usize = 1 + 8;

fn bucket_key(g: Granularity, start: Timestamp) -> Vec<u8> {
    let mut k = Vec::with_capacity(BUCKET + 16 * 3 + 4);
    k.push(g.code());
    k.extend_from_slice(&start.to_be_bytes());
    k
}

fn encode(c: &Counts) -> Vec<u8> {
    let mut out = vec![0u8];
    for (i, n) in c.0.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        out[0] |= 1 << i;
        let mut v = *n;
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

fn decode(bytes: &[u8]) -> Result<Counts, StoreError> {
    let bad = || StoreError::Corrupt("a usage count does not decode".into());
    let (&mask, mut rest) = bytes.split_first().ok_or_else(bad)?;
    let mut c = Counts::default();
    for (i, slot) in c.0.iter_mut().enumerate() {
        if mask & (1 << i) == 0 {
            continue;
        }
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let (&b, tail) = rest.split_first().ok_or_else(bad)?;
            rest = tail;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(bad());
            }
        }
        *slot = v;
    }
    Ok(c)
}

/// One row read back: its bucket, and the rest of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub bucket: Timestamp,
    pub team: TeamId,
    pub application: ApplicationId,
    /// The credential and its secret version (credential rows only).
    pub credential: Option<(CredentialId, u32)>,
    pub counts: Counts,
}

/// Which rows a read takes.
#[derive(Debug, Clone, Copy)]
pub enum UsageOf {
    Team(TeamId),
    Application(TeamId, ApplicationId),
    Credential(TeamId, ApplicationId, CredentialId),
    /// A resource's calls, by consumer team and application.
    Resource(ResourceId),
}

impl Store {
    /// Adds counted minutes to their minute, hour and day buckets, for the
    /// credential and for its resource. Not flushed here: the caller
    /// flushes once for the whole batch.
    pub fn add_usage(&self, samples: &[Sample]) -> Result<(), StoreError> {
        let _writing = self.writing();
        let mut by_credential: BTreeMap<Vec<u8>, Counts> = BTreeMap::new();
        let mut by_resource: BTreeMap<Vec<u8>, Counts> = BTreeMap::new();
        for s in samples {
            let m = &s.meter;
            for g in Granularity::ALL {
                let mut k = bucket_key(g, g.start(s.minute));
                let at = k.len();
                k.extend_from_slice(&m.team.to_bytes());
                k.extend_from_slice(&m.application.to_bytes());
                k.extend_from_slice(&m.credential.to_bytes());
                k.extend_from_slice(&m.secret_version.to_be_bytes());
                by_credential.entry(k.clone()).or_default().add(&s.counts);
                k.truncate(at);
                k.extend_from_slice(&m.resource.to_bytes());
                k.extend_from_slice(&m.team.to_bytes());
                k.extend_from_slice(&m.application.to_bytes());
                by_resource.entry(k).or_default().add(&s.counts);
            }
        }
        for (tree, rows) in [
            (&self.usage, by_credential),
            (&self.usage_by_resource, by_resource),
        ] {
            let mut batch = sled::Batch::default();
            for (k, mut counts) in rows {
                if let Some(old) = tree.get(&k)? {
                    counts.add(&decode(&old)?);
                }
                batch.insert(k, encode(&counts));
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    /// The rows of `of` in the buckets of `g` from `from` (inclusive) to
    /// `to` (exclusive).
    pub fn usage(
        &self,
        of: UsageOf,
        g: Granularity,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let mut out = Vec::new();
        let mut start = g.start(from);
        while start < to {
            let mut prefix = bucket_key(g, start);
            let tree = match of {
                UsageOf::Team(t) => {
                    prefix.extend_from_slice(&t.to_bytes());
                    &self.usage
                }
                UsageOf::Application(t, a) => {
                    prefix.extend_from_slice(&t.to_bytes());
                    prefix.extend_from_slice(&a.to_bytes());
                    &self.usage
                }
                UsageOf::Credential(t, a, c) => {
                    prefix.extend_from_slice(&t.to_bytes());
                    prefix.extend_from_slice(&a.to_bytes());
                    prefix.extend_from_slice(&c.to_bytes());
                    &self.usage
                }
                UsageOf::Resource(r) => {
                    prefix.extend_from_slice(&r.to_bytes());
                    &self.usage_by_resource
                }
            };
            for kv in tree.scan_prefix(&prefix) {
                let (k, v) = kv?;
                out.push(row(&of, start, &k[BUCKET..], decode(&v)?)?);
            }
            start = start.plus(g.duration());
        }
        Ok(out)
    }

    /// Removes the buckets older than `retention` keeps at `now`; answers
    /// how many rows went.
    pub fn sweep_usage(&self, retention: &Retention, now: Timestamp) -> Result<usize, StoreError> {
        let _writing = self.writing();
        let mut removed = 0;
        for g in Granularity::ALL {
            let from = [g.code()];
            let to = bucket_key(g, retention.cutoff(g, now));
            for tree in [&self.usage, &self.usage_by_resource] {
                let mut batch = sled::Batch::default();
                for k in tree.range(from.as_slice()..to.as_slice()).keys() {
                    batch.remove(k?);
                    removed += 1;
                }
                tree.apply_batch(batch)?;
            }
        }
        Ok(removed)
    }
}

fn id<T>(bytes: &[u8], parse: impl Fn(&[u8]) -> Option<T>) -> Result<T, StoreError> {
    parse(bytes).ok_or_else(|| StoreError::Corrupt("a usage key does not decode".into()))
}

fn row(
    of: &UsageOf,
    bucket: Timestamp,
    rest: &[u8],
    counts: Counts,
) -> Result<UsageRow, StoreError> {
    if rest.len() < 48 {
        return Err(StoreError::Corrupt("a usage key is short".into()));
    }
    Ok(match of {
        UsageOf::Resource(_) => UsageRow {
            bucket,
            team: id(&rest[16..32], TeamId::from_bytes)?,
            application: id(&rest[32..48], ApplicationId::from_bytes)?,
            credential: None,
            counts,
        },
        _ => {
            let version = rest
                .get(48..52)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt("a usage key is short".into()))?;
            UsageRow {
                bucket,
                team: id(&rest[0..16], TeamId::from_bytes)?,
                application: id(&rest[16..32], ApplicationId::from_bytes)?,
                credential: Some((id(&rest[32..48], CredentialId::from_bytes)?, version)),
                counts,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::domain::usage::Counts;

    #[test]
    fn counts_round_trip_in_a_few_bytes() {
        for c in [
            Counts::default(),
            Counts([1, 0, 0, 0, 0, 0, 0]),
            Counts([1_000, 0, 3, 0, 0, 0, 70_000]),
            Counts([u64::MAX, 1, 2, 3, 4, 5, 6]),
        ] {
            assert_eq!(decode(&encode(&c)).unwrap(), c);
        }
        assert_eq!(encode(&Counts([1_000, 0, 0, 0, 0, 0, 0])).len(), 3);
        assert!(decode(&[0b1, 0x80]).is_err(), "a varint cut short");
    }
}
