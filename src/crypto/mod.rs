//! Secrets at rest (AES-256-GCM), keyed hashes, randomness.

pub mod digest;
pub mod master_key;
pub mod random;
pub mod vault;
