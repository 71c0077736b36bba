//! Actors: one per team for serial writes, and the registry that finds them.

pub mod access;
pub mod access_results;
pub mod applications;
pub mod catalog;
#[cfg(test)]
mod credential_result_tests;
mod credential_results;
pub mod credential_steps;
pub mod credentials;
pub mod expiry;
pub mod incidents;
pub mod kicker;
pub mod notices;
pub mod provisioner;
pub mod registry;
mod staged_creates;
pub mod subscriptions;
pub mod team;
pub mod webhooks;
