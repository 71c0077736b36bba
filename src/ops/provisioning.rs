//! The provider's hand in provisioning: work a manual data plane hands to
//! people is marked done (with the secret the provider's gateway made, when
//! it makes them) or failed, and work that gave up is retried.

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::access::{ProviderStep, ProvisioningStep};
use crate::actors::credentials::CredentialTaskStep;
use crate::domain::access::AccessRequest;
use crate::domain::credential::{CredentialOp, secret_aad};
use crate::domain::ids::{AccessId, TaskId};
use crate::domain::key_format::{check_entered_client_id, check_entered_secret};
use crate::domain::outbox::Task;
use crate::domain::resource::CredentialType;
use crate::domain::subscription::Reason;

/// Whether marking this task done needs the secret the provider made: a
/// credential's provision or renewal on a plane that makes its secrets.
pub fn needs_secret(state: &AppState, t: &Task) -> bool {
    t.credential
        .as_ref()
        .is_some_and(|w| matches!(w.op, CredentialOp::Provision | CredentialOp::Renew))
        && state.dataplanes.generates_secrets(&t.dataplane)
}

/// Marking failed needs a reason the team reads; the other steps none.
fn reason_for(step: ProviderStep, raw: &str) -> Result<String, OpError> {
    if step != ProviderStep::MarkFailed {
        return Ok(String::new());
    }
    Reason::parse(raw)
        .map(|r| r.as_str().to_owned())
        .map_err(|e| OpError::Invalid(vec![e]))
}

/// A step on an access request to one of the caller's resources.
pub async fn access_step(
    state: &AppState,
    caller: &Caller,
    id: AccessId,
    step: ProviderStep,
    reason: &str,
) -> Result<AccessRequest, OpError> {
    caller.must_provide()?;
    let a = super::access::provided_access(state, caller, id)?;
    let cmd = ProvisioningStep {
        access: a.id,
        step,
        reason: reason_for(step, reason)?,
        actor: caller.user,
        provider: caller.team_id(),
    };
    state.teams.send(a.team, cmd).await??;
    Ok(a)
}

/// What the provider entered for a credential's task.
#[derive(Debug, Clone, Copy, Default)]
pub struct Entered<'a> {
    pub secret: &'a str,
    pub client_id: &'a str,
}

/// A step on a credential's task for one of the caller's resources.
pub async fn task_step(
    state: &AppState,
    caller: &Caller,
    id: TaskId,
    step: ProviderStep,
    reason: &str,
    entered: Entered<'_>,
) -> Result<Task, OpError> {
    caller.must_provide()?;
    let task = match state.store.task(id)? {
        Some(t) if t.provider == caller.team_id() && t.credential.is_some() => t,
        _ => return Err(OpError::NotFound),
    };
    let reason = reason_for(step, reason)?;
    // The provider made the secret on their gateway: it comes with the
    // provision or renewal, checked, and is sealed for the view window.
    let (mut secret, mut client_id) = (None, None);
    if let Some(w) = task
        .credential
        .as_ref()
        .filter(|_| step == ProviderStep::MarkProvisioned && needs_secret(state, &task))
    {
        let invalid = |e| OpError::Invalid(vec![e]);
        let clear = check_entered_secret(entered.secret).map_err(invalid)?;
        if w.kind == CredentialType::OauthClient {
            client_id = check_entered_client_id(entered.client_id).map_err(invalid)?;
        }
        let window = state
            .config
            .dataplane(&task.dataplane)
            .map_or(std::time::Duration::ZERO, |d| d.view_window);
        let sealed = state.vault.seal(
            clear.as_bytes(),
            &secret_aad(w.credential, w.secret_version),
        );
        secret = Some((sealed, state.clock.now().plus(window)));
    }
    let cmd = CredentialTaskStep {
        task: task.id,
        step,
        reason,
        secret,
        client_id,
        actor: caller.user,
        provider: caller.team_id(),
    };
    state.teams.send(task.grant.team, cmd).await??;
    Ok(task)
}
