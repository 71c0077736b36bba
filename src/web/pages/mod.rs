//! One file per area; each renders the templates of the same name.

pub mod account;
pub mod admin_teams;
pub mod admin_users;
pub mod auth;
pub mod home;
pub mod invitations;
pub mod ops;
pub mod setup;
pub mod teams;
