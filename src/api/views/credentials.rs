//! A credential's shape, with its secret when it may be shown.

use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::domain::credential::Credential;
use crate::domain::resource::CredentialType;

use super::{AtExpiry, CredentialKind, CredentialState, Desired, time, time_opt};

/// A credential (API key or OAuth client), without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01KDVDNA00ZT90V4RXTAXW1F8E", "team": "01KDVDNA00YGPK09QR9JGHPMRC", "application": "01KDVDNA00ZT90V4RXTAXW1F7E", "access": "01KDVDNA00ZT90V4RXTAXW1FA2", "product": "01KDVDNA00ZT90V4RXTAXW1F9K", "resource": "01KDVDNA00ZT90V4RXTAXW1F9N", "name": "Checkout key", "kind": "api_key", "key_id": "4c5006d0528dbe44", "client_id": null, "state": "Active", "desired": "active", "in_progress": false, "secret_version": 1, "viewable_until": "2026-01-04T00:00:00.000Z", "grace_until": null, "created_at": "2026-01-01T00:00:00.000Z", "renewed_at": null, "reason": null, "last_error": null, "expires_at": "2026-04-01T00:00:00.000Z", "at_expiry": "suspend"}))]
pub struct CredentialView {
    pub id: String,
    pub team: String,
    pub application: String,
    pub access: String,
    pub product: String,
    pub resource: String,
    pub name: String,
    /// api_key or oauth_client.
    #[schema(value_type = CredentialKind)]
    pub kind: String,
    /// The public key id (API keys) shown in lists and logs.
    pub key_id: String,
    /// The OAuth client id (OAuth clients).
    pub client_id: Option<String>,
    /// Pending, Active, Inactive, Expired, Deleting or Failed.
    #[schema(value_type = CredentialState)]
    pub state: String,
    /// What the user asked for: active, inactive or deleted.
    #[schema(value_type = Desired)]
    pub desired: String,
    /// Whether the data plane is still carrying out the last change.
    pub in_progress: bool,
    pub secret_version: u32,
    /// Until when View Credential (`reveal`) can show the secret.
    #[schema(format = DateTime)]
    pub viewable_until: Option<String>,
    /// After a renewal: until when the previous secret keeps working.
    #[schema(format = DateTime)]
    pub grace_until: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub renewed_at: Option<String>,
    /// The provider's reason for its last action.
    pub reason: Option<String>,
    /// The data plane's last error, while retrying or after giving up.
    pub last_error: Option<String>,
    /// When its lifetime ends; absent: never.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// suspend or deprovision, at `expires_at`.
    #[schema(value_type = Option<AtExpiry>)]
    pub at_expiry: Option<String>,
}

impl CredentialView {
    pub fn of(c: &Credential, now: Timestamp) -> Self {
        Self {
            id: c.id.to_string(),
            team: c.team.to_string(),
            application: c.application.to_string(),
            access: c.access.to_string(),
            product: c.product.to_string(),
            resource: c.resource.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str().to_owned(),
            key_id: c.key_id.to_string(),
            client_id: (c.kind == CredentialType::OauthClient).then(|| c.client_id()),
            state: c.state_name().to_owned(),
            desired: c.desired.to_string(),
            in_progress: c.task.is_some() && !c.failed,
            secret_version: c.secret_version,
            viewable_until: c.viewable(now).then(|| time_opt(c.window_until)).flatten(),
            grace_until: c.grace_until.filter(|g| *g > now).map(time),
            created_at: time(c.created_at),
            renewed_at: time_opt(c.renewed_at),
            reason: c.reason.clone(),
            last_error: c.last_error.clone(),
            expires_at: time_opt(c.expires_at),
            at_expiry: c.expires_at.map(|_| c.at_expiry.as_str().to_owned()),
        }
    }
}

/// A credential with the secret an operation just made: shown in this
/// answer only (`Cache-Control: no-store`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01KDVDNA00ZT90V4RXTAXW1F8E", "team": "01KDVDNA00YGPK09QR9JGHPMRC", "application": "01KDVDNA00ZT90V4RXTAXW1F7E", "access": "01KDVDNA00ZT90V4RXTAXW1FA2", "product": "01KDVDNA00ZT90V4RXTAXW1F9K", "resource": "01KDVDNA00ZT90V4RXTAXW1F9N", "name": "Checkout key", "kind": "api_key", "key_id": "4c5006d0528dbe44", "client_id": null, "state": "Active", "desired": "active", "in_progress": false, "secret_version": 1, "viewable_until": "2026-01-04T00:00:00.000Z", "grace_until": null, "created_at": "2026-01-01T00:00:00.000Z", "renewed_at": null, "reason": null, "last_error": null, "expires_at": "2026-04-01T00:00:00.000Z", "at_expiry": "suspend", "secret": "agora_4c5006d0528dbe44_0cdecb5c58fb5b450e306bed0ecb2b529ee77a9bb97caaf9fd2ebd5d"}))]
pub struct CredentialWithSecret {
    #[serde(flatten)]
    pub credential: CredentialView,
    /// The full API key, or the OAuth client secret. Absent when the data
    /// plane or the provider makes it: `reveal` shows it once the
    /// credential is active.
    pub secret: Option<String>,
}

/// The clear secret, within its view window.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"credential": "01KDVDNA00ZT90V4RXTAXW1F8E", "secret": "agora_4c5006d0528dbe44_0cdecb5c58fb5b450e306bed0ecb2b529ee77a9bb97caaf9fd2ebd5d", "client_id": null, "viewable_until": "2026-01-04T00:00:00.000Z"}))]
pub struct SecretView {
    pub credential: String,
    /// The full API key, or the OAuth client secret.
    pub secret: String,
    pub client_id: Option<String>,
    #[schema(format = DateTime)]
    pub viewable_until: Option<String>,
}
