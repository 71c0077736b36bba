//! Agora: a self-hosted API marketplace in one binary.

/// sled copies and frees many small nodes per write; glibc's allocator
/// spends a quarter of a commit on that (measured, benches/expiry.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod actors;
pub mod api;
pub mod clock;
pub mod config;
pub mod control;
pub mod courier;
pub mod crypto;
pub mod dataplane;
pub mod domain;
pub mod gateway;
pub mod mail;
pub mod marketplace;
pub mod metrics;
pub mod operate;
pub mod ops;
pub mod outgoing;
pub mod scheduler;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
