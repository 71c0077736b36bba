//! Domain rules as pure functions and types, with no I/O.

pub mod account;
pub mod audit;
mod error;
pub mod ids;
pub mod team;

pub use error::FieldError;
