//! Domain rules as pure functions and types, with no I/O.

pub mod abilities;
pub mod access;
pub mod account;
pub mod application;
pub mod audit;
pub mod credential;
pub mod delivery;
mod error;
pub mod expiry;
pub mod ids;
pub mod key_format;
pub mod markdown;
pub mod notification;
pub mod outbox;
pub mod path;
pub mod product;
pub mod request_fields;
pub mod resource;
pub mod subscription;
pub mod team;
pub mod token;
pub mod usage;
pub mod webhook;

pub use error::FieldError;
