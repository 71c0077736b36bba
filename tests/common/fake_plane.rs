//! A data plane for tests: records every call, can be told to fail, and
//! applies each idempotency key once (as a real agent must).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use agora::dataplane::{Capabilities, DataPlane, DataPlaneError, Outcome};
use agora::domain::outbox::Task;
use futures_util::future::BoxFuture;

pub struct FakePlane {
    name: String,
    /// Every delivery: (operation, idempotency key).
    calls: Mutex<Vec<(String, String)>>,
    applied: Mutex<HashSet<String>>,
    fail_next: AtomicU32,
    refuse: AtomicBool,
}

impl FakePlane {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            calls: Mutex::new(Vec::new()),
            applied: Mutex::new(HashSet::new()),
            fail_next: AtomicU32::new(0),
            refuse: AtomicBool::new(false),
        }
    }

    /// The next `n` calls fail as an outage would.
    pub fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// Every call is refused for good (a 4xx from an agent).
    pub fn refuse(&self, on: bool) {
        self.refuse.store(on, Ordering::SeqCst);
    }

    pub fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().unwrap().clone()
    }

    /// Changes made: distinct idempotency keys carried out.
    pub fn effects(&self) -> usize {
        self.applied.lock().unwrap().len()
    }
}

impl DataPlane for FakePlane {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "fake"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    fn apply<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<Outcome, DataPlaneError>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap()
                .push((task.op.as_str().to_owned(), task.key.clone()));
            if self.refuse.load(Ordering::SeqCst) {
                return Err(DataPlaneError::Permanent(
                    "the fake refuses this route".into(),
                ));
            }
            let left = self.fail_next.load(Ordering::SeqCst);
            if left > 0 {
                self.fail_next.store(left - 1, Ordering::SeqCst);
                return Err(DataPlaneError::Temporary("fake outage".into()));
            }
            self.applied.lock().unwrap().insert(task.key.clone());
            Ok(Outcome::Done)
        })
    }
}
