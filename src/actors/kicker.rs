//! How work queued by a team actor reaches the provisioning engine: the
//! message that starts a run, and the handle the team actors hold to send it.

use std::sync::{Arc, OnceLock};

use actix::{Message, Recipient};

use crate::store::StoreError;

/// Runs the tasks that are due now.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<RunReport, StoreError>")]
pub struct RunDue;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub attempted: usize,
    pub done: usize,
    pub failed: usize,
}

/// Lets team actors start a run after they queue work ("the first attempt
/// starts at once"). Set once the provisioner is running.
#[derive(Clone, Default)]
pub struct Kicker(Arc<OnceLock<Recipient<RunDue>>>);

impl Kicker {
    pub fn set(&self, to: Recipient<RunDue>) {
        let _ = self.0.set(to);
    }

    pub fn kick(&self) {
        if let Some(to) = self.0.get() {
            to.do_send(RunDue);
        }
    }
}
