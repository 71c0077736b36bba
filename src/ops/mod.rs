//! The operations both front ends call: the whole rule of each, below the
//! pages and the JSON API alike.

pub mod access;
pub mod account;
pub mod applications;
pub mod backup;
pub mod caller;
pub mod catalog;
pub mod credentials;
pub mod error;
pub mod incidents;
pub mod notifications;
pub mod password;
pub mod password_reset;
pub mod people;
pub mod provisioning;
pub mod reset_desk;
pub mod reveal;
pub mod state;
pub mod subscriptions;
pub mod teams;
pub mod throttle;
pub mod tokens;
pub mod usage;
pub mod view_credential;
pub mod webhooks;

pub use caller::Caller;
pub use error::OpError;
pub use state::{AppState, Keys};
