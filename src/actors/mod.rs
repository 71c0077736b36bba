//! Actors: one per team for serial writes, and the registry that finds them.

pub mod registry;
pub mod team;
