//! Counting on the gateway's hot path: each decided call adds one to its
//! credential's counts for the current minute, in one of a few shards
//! chosen by the credential, so concurrent calls rarely meet on a lock and
//! never wait for storage. A job takes what was counted every few seconds
//! and writes it (`Store::add_usage`); a crash loses at most that interval.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Timestamp;
use crate::domain::usage::{Counts, Granularity, Meter, Outcome, Sample};

const SHARDS: usize = 32;

#[derive(Default)]
pub struct Recorder {
    shards: [Mutex<HashMap<(Meter, i64), Counts>>; SHARDS],
}

impl Recorder {
    /// Counts one call of `meter` decided at `at`.
    pub fn count(&self, meter: Meter, at: Timestamp, outcome: Outcome) {
        let minute = Granularity::Minute.start(at).as_millis();
        let shard = meter.credential.to_bytes()[15] as usize % SHARDS;
        let mut map = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        map.entry((meter, minute)).or_default().bump(outcome);
    }

    /// Everything counted since the last take.
    pub fn take(&self) -> Vec<Sample> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let taken = std::mem::take(&mut *shard.lock().unwrap_or_else(|e| e.into_inner()));
            out.extend(taken.into_iter().map(|((meter, minute), counts)| Sample {
                meter,
                minute: Timestamp::from_millis(minute),
                counts,
            }));
        }
        out
    }

    /// Puts back what a failed write took, so the next write has it.
    pub fn restore(&self, samples: Vec<Sample>) {
        for s in samples {
            let shard = s.meter.credential.to_bytes()[15] as usize % SHARDS;
            let mut map = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
            map.entry((s.meter, s.minute.as_millis()))
                .or_default()
                .add(&s.counts);
        }
    }
}
