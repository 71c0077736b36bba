//! View Credential: the clear secret of a credential while its view window
//! is open, audited, and how it is shown.

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::credential::{Credential, secret_aad};
use crate::domain::ids::AuditId;
use crate::domain::key_format;
use crate::domain::resource::CredentialType;

/// The clear secret, within its view window.
pub struct Revealed {
    pub secret: String,
    /// The data plane made it up (shown as it gave it, not as an API key).
    pub made_by_plane: bool,
}

/// View Credential: the clear secret while the view window is open, for a
/// member who may change the team's credentials. Audited, and flushed
/// before it is answered. The front end has proven the caller is present
/// (the pages ask for the password again; the API needs a read-write token).
pub async fn reveal(
    state: &AppState,
    caller: &Caller,
    c: &Credential,
) -> Result<Revealed, OpError> {
    if !caller.role.can_act() {
        return Err(OpError::Forbidden(
            "Viewers cannot view credential secrets.".to_owned(),
        ));
    }
    caller.may_change()?;
    if c.team != caller.team_id() {
        return Err(OpError::NotFound);
    }
    let now = state.clock.now();
    let sealed = if c.viewable(now) {
        state.store.sealed_secret(c.id, c.secret_version)?
    } else {
        None
    };
    let Some(sealed) = sealed else {
        return Err(OpError::Gone(
            "The secret is no longer viewable: its view window has closed.".to_owned(),
        ));
    };
    let clear = state
        .vault
        .open(&sealed, &secret_aad(c.id, c.secret_version))
        .map_err(OpError::internal)?;
    let secret = String::from_utf8(clear).map_err(OpError::internal)?;
    let record = AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: Some(caller.user),
        team: Some(caller.team_id()),
        action: "credential.viewed".to_owned(),
        detail: format!("viewed the secret of credential {} ({})", c.name, c.key_id),
        subject: Some(Subject::Credential(c.id)),
    };
    state.store.append_audit(&record)?;
    state.store.flush().await?;
    Ok(Revealed {
        secret,
        made_by_plane: state.dataplanes.generates_secrets(&c.dataplane),
    })
}

/// What the user copies: the full API key, or the OAuth client secret. A
/// secret the data plane made up is shown as it gave it.
pub fn shown_secret(c: &Credential, secret: &str, made_by_plane: bool) -> String {
    match c.kind {
        CredentialType::ApiKey if !made_by_plane => key_format::api_key(&c.key_id, secret),
        _ => secret.to_owned(),
    }
}
