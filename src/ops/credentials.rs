//! Credentials: Create Credential, the actions on one (suspend, enable,
//! renew with grace, end grace, delete, retry), and reading them (View
//! Credential is in `view_credential`). Every rule of these lives here or
//! below; the pages and the API only parse and answer.

use std::time::Duration;

use serde::Deserialize;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
pub use super::view_credential::{Revealed, reveal, shown_secret};
use crate::actors::credential_steps::RetryCredential;
use crate::actors::credentials::{ChangeCredential, CreateCredential, NewSecret};
use crate::crypto::digest::hmac_sha256;
use crate::domain::FieldError;
use crate::domain::abilities::{Abilities, Grace};
use crate::domain::access::{AccessRequest, Approval, Provisioning};
use crate::domain::account::parse_short_name;
use crate::domain::application::Application;
use crate::domain::credential::{Credential, CredentialAction, secret_aad};
use crate::domain::expiry::{AtExpiry, ExpiryPolicy, Lifetime};
use crate::domain::ids::{AccessId, ApplicationId, CredentialId, TeamId};
use crate::domain::key_format::{self, KeyId};
use crate::domain::resource::{CredentialType, Resource};
use crate::domain::subscription::Reason;

/// What a data plane lets its credentials do, from its kind and its settings.
pub fn abilities(state: &AppState, dataplane: &str) -> Abilities {
    Abilities {
        suspend: state.dataplanes.can_suspend(dataplane),
        renew: state.dataplanes.can_renew(dataplane),
        max_renew_grace: state
            .config
            .dataplane(dataplane)
            .map_or(Duration::ZERO, |d| d.max_renew_grace),
    }
}

/// The team's credential, or not found (also for another team's).
pub fn team_credential(
    state: &AppState,
    team: TeamId,
    id: CredentialId,
) -> Result<Credential, OpError> {
    match state.store.credential(id)? {
        Some(c) if c.team == team => Ok(c),
        _ => Err(OpError::NotFound),
    }
}

/// The team's credentials, newest first.
pub fn list(state: &AppState, caller: &Caller) -> Result<Vec<Credential>, OpError> {
    let mut all = Vec::new();
    for app in state.store.applications_of(caller.team_id())? {
        all.extend(state.store.credentials_of_app(app.id)?.iter().cloned());
    }
    all.sort_by_key(|c| std::cmp::Reverse(c.id));
    Ok(all)
}

/// Whether credentials can be created under this access now.
pub fn can_create(a: &AccessRequest) -> bool {
    a.approval == Approval::Approved
        && matches!(
            a.provisioning,
            Provisioning::Pending | Provisioning::Provisioned
        )
}

/// Where a new credential goes: the application, its access to one
/// resource, and that resource (with the credential types it accepts).
pub struct Place {
    pub application: Application,
    pub access: AccessRequest,
    pub resource: Resource,
}

/// The team's application and one of its access requests, or not found.
pub fn place(
    state: &AppState,
    team: TeamId,
    application: ApplicationId,
    access: AccessId,
) -> Result<Place, OpError> {
    let app = match state.store.application(application)? {
        Some(a) if a.team == team => a,
        _ => return Err(OpError::NotFound),
    };
    let access = match state.store.access(access)? {
        Some(a) if a.team == team && a.application == app.id => a,
        _ => return Err(OpError::NotFound),
    };
    let resource = state
        .store
        .resource(access.product, access.resource)?
        .ok_or(OpError::NotFound)?;
    Ok(Place {
        application: app,
        access,
        resource,
    })
}

/// Who makes the secret when Agora does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MadeBy {
    /// The data plane makes it up and returns it.
    DataPlane,
    /// The provider sets it on their gateway and enters it (a manual plane).
    Provider,
}

/// A secret an operation just made.
#[derive(Debug, Clone)]
pub enum Fresh {
    /// Agora made it: the clear value, to show now (the API key's secret
    /// part, or the OAuth client secret).
    Now(String),
    /// Someone else makes it; it is viewable once the credential is active.
    Later(MadeBy),
}

fn made_by(state: &AppState, dataplane: &str) -> MadeBy {
    if state.dataplanes.by_hand(dataplane) {
        MadeBy::Provider
    } else {
        MadeBy::DataPlane
    }
}

/// A fresh secret for credential `id` at `version`: its keyed hash and,
/// when the data plane keeps a view window, the sealed value until the
/// window closes. `None` for the clear value when the data plane makes up
/// secrets.
fn mint(
    state: &AppState,
    id: CredentialId,
    version: u32,
    dataplane: &str,
) -> (Option<String>, NewSecret) {
    if state.dataplanes.generates_secrets(dataplane) {
        let none = NewSecret {
            hash: String::new(),
            sealed: None,
            for_agent: None,
        };
        return (None, none);
    }
    let secret = key_format::new_secret();
    let hash = hex::encode(hmac_sha256(&state.pepper, &[secret.as_bytes()]));
    let plane = state.config.dataplane(dataplane);
    let window = plane.map_or(Duration::ZERO, |d| d.view_window);
    let sealed = (!window.is_zero()).then(|| {
        let until = state.clock.now().plus(window);
        (
            state
                .vault
                .seal(secret.as_bytes(), &secret_aad(id, version)),
            until,
        )
    });
    let for_agent = plane.is_some_and(|d| d.webhook.is_some()).then(|| {
        state.vault.seal(
            secret.as_bytes(),
            &crate::domain::outbox::agent_aad(id, version),
        )
    });
    (
        Some(secret),
        NewSecret {
            hash,
            sealed,
            for_agent,
        },
    )
}

/// What Create Credential asks for, as the caller typed it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCredential {
    #[serde(default)]
    pub name: String,
    /// `api_key` or `oauth_client`.
    #[serde(default)]
    pub kind: String,
    /// Days it lives; empty: the policy's default.
    #[serde(default)]
    pub lifetime_days: String,
}

/// The lifetime policy of credentials under an access: its resource's own,
/// or else its plan's.
pub fn policy(state: &AppState, access: &AccessRequest) -> Result<ExpiryPolicy, OpError> {
    let resource = state.store.resource(access.product, access.resource)?;
    let plan = state.store.plan(access.product, access.plan)?;
    Ok(match (resource, plan) {
        (Some(r), Some(p)) => r.spec.expiry_under(&p.spec),
        (Some(r), None) => r.spec.expiry.unwrap_or_default(),
        (None, Some(p)) => p.spec.expiry,
        (None, None) => ExpiryPolicy::default(),
    })
}

/// The lifetime a consumer chose (`""`: the default) within the policy. A
/// data plane that cannot suspend removes credentials at expiry instead.
pub fn lifetime(
    state: &AppState,
    access: &AccessRequest,
    chosen: &str,
) -> Result<Lifetime, FieldError> {
    let policy = policy(state, access)
        .map_err(|_| FieldError::new("lifetime_days", "The lifetime policy could not be read."))?;
    let mut lifetime = policy.lifetime(chosen)?;
    if !state.dataplanes.can_suspend(&access.dataplane) {
        lifetime.at_expiry = AtExpiry::Deprovision;
    }
    Ok(lifetime)
}

pub struct Made {
    pub credential: Credential,
    pub secret: Fresh,
}

/// Create Credential under the team's approved access.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    place: &Place,
    new: &NewCredential,
) -> Result<Made, OpError> {
    caller.may_change()?;
    let mut errors = Vec::new();
    let name = parse_short_name(&new.name, "name", 80)
        .map_err(|e| errors.push(e))
        .ok();
    let kind = CredentialType::parse(&new.kind)
        .filter(|k| place.resource.spec.credential_types.contains(k));
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "Choose one of the credential types this resource accepts.",
        ));
    }
    let lifetime = lifetime(state, &place.access, &new.lifetime_days)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(kind), Some(lifetime)) = (name, kind, lifetime) else {
        return Err(OpError::Invalid(errors));
    };
    let id = CredentialId::generate(state.clock.now());
    let (secret, new) = mint(state, id, 1, &place.access.dataplane);
    let cmd = CreateCredential {
        id,
        access: place.access.id,
        kind,
        name,
        key_id: KeyId::generate(),
        secret: new,
        lifetime,
        actor: caller.user,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    let credential = state.store.credential(id)?.ok_or(OpError::NotFound)?;
    let secret = match secret {
        Some(s) => Fresh::Now(s),
        None => Fresh::Later(made_by(state, &credential.dataplane)),
    };
    Ok(Made { credential, secret })
}

/// The actions on a credential, as a page's path or an API call names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verb {
    Suspend,
    Enable,
    Renew,
    EndGrace,
    Delete,
    Retry,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Suspend => "suspend",
            Verb::Enable => "enable",
            Verb::Renew => "renew",
            Verb::EndGrace => "end-grace",
            Verb::Delete => "delete",
            Verb::Retry => "retry",
        }
    }

    /// The domain's action; `None` for a retry, which is no change of state.
    pub fn action(self, grace: Grace, lifetime: Lifetime) -> Option<CredentialAction> {
        Some(match self {
            Verb::Suspend => CredentialAction::Suspend,
            Verb::Enable => CredentialAction::Enable,
            Verb::Renew => CredentialAction::Renew { grace, lifetime },
            Verb::EndGrace => CredentialAction::EndGrace,
            Verb::Delete => CredentialAction::Delete,
            Verb::Retry => return None,
        })
    }
}

/// Whether `action` would be accepted now, without doing it: the rules of
/// the credential's state and of its data plane. A confirm step asks this
/// first, so a refusal comes before the question.
pub fn check(state: &AppState, c: &Credential, action: CredentialAction) -> Result<(), OpError> {
    c.clone()
        .act(action, abilities(state, &c.dataplane), state.clock.now())
        .map_err(|e| OpError::Refused(e.to_string()))
}

/// How a renewal is asked for: the grace of the old secret, and the new
/// lifetime in days (`""`: the policy's default).
#[derive(Debug, Clone, Default)]
pub struct Renewal {
    pub grace: Grace,
    pub lifetime_days: String,
}

impl Renewal {
    pub fn grace(grace: Grace) -> Self {
        Self {
            grace,
            lifetime_days: String::new(),
        }
    }
}

/// Suspend, Enable, Renew (with grace and a new lifetime), End grace,
/// Delete or Retry. Returns the credential as it is now and, for a
/// renewal, its new secret.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    c: &Credential,
    verb: Verb,
    renewal: &Renewal,
) -> Result<(Credential, Option<Fresh>), OpError> {
    caller.may_change()?;
    if c.team != caller.team_id() {
        return Err(OpError::NotFound);
    }
    let lifetime = match verb {
        Verb::Renew => {
            let access = state.store.access(c.access)?.ok_or(OpError::NotFound)?;
            lifetime(state, &access, &renewal.lifetime_days)
                .map_err(|e| OpError::Invalid(vec![e]))?
        }
        _ => Lifetime::NONE,
    };
    let Some(action) = verb.action(renewal.grace, lifetime) else {
        let cmd = RetryCredential {
            id: c.id,
            actor: caller.user,
        };
        state.teams.send(caller.team_id(), cmd).await??;
        let now = team_credential(state, caller.team_id(), c.id)?;
        return Ok((now, None));
    };
    let renewal = matches!(action, CredentialAction::Renew { .. })
        .then(|| mint(state, c.id, c.secret_version + 1, &c.dataplane));
    let (clear, secret) = match renewal {
        Some((clear, secret)) => (Some(clear), Some(secret)),
        None => (None, None),
    };
    let cmd = ChangeCredential {
        id: c.id,
        action,
        abilities: abilities(state, &c.dataplane),
        secret,
        actor: caller.user,
        provider: None,
    };
    state.teams.send(caller.team_id(), cmd).await??;
    let fresh = clear.map(|s| match s {
        Some(s) => Fresh::Now(s),
        None => Fresh::Later(made_by(state, &c.dataplane)),
    });
    // A deleted credential may already be gone from storage: the data
    // plane removed it before this read.
    let now = match state.store.credential(c.id)? {
        Some(now) => now,
        None => c.removed(),
    };
    Ok((now, fresh))
}

/// A credential of the caller's provider team's products, or not found.
pub fn provided_credential(
    state: &AppState,
    caller: &Caller,
    id: CredentialId,
) -> Result<Credential, OpError> {
    caller.sees_provider()?;
    match state.store.credential(id)? {
        Some(c) if c.provider == caller.team_id() => Ok(c),
        _ => Err(OpError::NotFound),
    }
}

/// The provider suspends, enables or deletes a consumer's credential, with
/// a reason the consumer team reads.
pub async fn provider_act(
    state: &AppState,
    caller: &Caller,
    c: &Credential,
    verb: Verb,
    reason: &str,
) -> Result<Reason, OpError> {
    caller.must_provide()?;
    if c.provider != caller.team_id() {
        return Err(OpError::NotFound);
    }
    let action = match verb {
        Verb::Suspend | Verb::Enable | Verb::Delete => verb.action(Grace::None, Lifetime::NONE),
        _ => None,
    }
    .ok_or(OpError::NotFound)?;
    let reason = Reason::parse(reason).map_err(|e| OpError::Invalid(vec![e]))?;
    let cmd = ChangeCredential {
        id: c.id,
        action,
        abilities: abilities(state, &c.dataplane),
        secret: None,
        actor: caller.user,
        provider: Some((caller.team_id(), reason.as_str().to_owned())),
    };
    state.teams.send(c.team, cmd).await??;
    Ok(reason)
}
