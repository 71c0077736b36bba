//! One file per area; each renders the templates of the same name.

pub mod access;
pub mod access_views;
pub mod account;
pub mod admin_teams;
pub mod admin_users;
pub mod applications;
pub mod approvals;
pub mod auth;
pub mod credential_actions;
pub mod credential_panel;
pub mod credentials;
pub mod history;
pub mod home;
pub mod invitations;
pub mod marketplace;
pub mod notifications;
pub mod ops;
pub mod provider;
pub mod provider_credentials;
pub mod provider_plans;
pub mod provider_resources;
pub mod provisioning;
pub mod setup;
pub mod subscriptions;
pub mod teams;
