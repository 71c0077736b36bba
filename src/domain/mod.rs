//! Domain rules as pure functions and types, with no I/O.

pub mod access;
pub mod account;
pub mod application;
pub mod audit;
mod error;
pub mod ids;
pub mod outbox;
pub mod product;
pub mod request_fields;
pub mod resource;
pub mod subscription;
pub mod team;

pub use error::FieldError;
