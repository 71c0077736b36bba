//! The closed sets of words the API reads and answers, as the document's
//! enums. Fields stay text in the views (made from the domain's own
//! `as_str`); these types only name their values for the document, and
//! the contract test holds every answer to them.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A member's role in a team.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Developer,
    Viewer,
}

/// Where a subscription stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    Requested,
    Active,
    Rejected,
    Cancelled,
}

/// The provider's decision on an access request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccessApproval {
    Pending,
    Approved,
    Rejected,
    Revoked,
}

/// Where the data plane stands with an approved access.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provisioning {
    None,
    Pending,
    Provisioned,
    Failed,
    Removed,
}

/// What kind of secret a credential is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    ApiKey,
    OauthClient,
}

/// A credential's state as the pages show it.
#[derive(Serialize, ToSchema)]
pub enum CredentialState {
    Pending,
    Active,
    Inactive,
    Expired,
    Deleting,
    Failed,
}

/// The state a credential was last asked to reach.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Desired {
    Active,
    Inactive,
    Deleted,
}

/// What happens to a credential when its lifetime ends.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AtExpiry {
    Suspend,
    Deprovision,
}

/// How long a renewed credential's previous secret keeps working.
#[derive(Serialize, ToSchema)]
pub enum Grace {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
}

/// What can be done to a credential.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialAction {
    Suspend,
    Enable,
    Renew,
    EndGrace,
    Delete,
    Retry,
}

/// A provider's decision.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

/// A provider's decision on a subscription: `end` stops an active one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionDecision {
    Approve,
    Reject,
    End,
}

/// Whether a product is shown in the Marketplace.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Publishing {
    Publish,
    Unpublish,
}

/// Where a product stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProductState {
    Draft,
    Published,
    Unpublished,
}

/// Whether the provider approves requests by hand.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Automatic,
    Manual,
}

/// The input a consumer fills in for an access request field.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Number,
    Select,
    Checkbox,
}

/// Where a webhook delivery stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Due,
    Delivered,
    Failed,
}

/// A topic of the email notifications.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    Credentials,
    Access,
    Subscriptions,
    Approvals,
}

/// A webhook event type: the domain's list, so the two never differ.
pub struct EventType;

impl PartialSchema for EventType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An event a webhook endpoint can receive."))
            .enum_values(Some(crate::domain::webhook::EVENT_TYPES))
            .into()
    }
}

impl ToSchema for EventType {}
