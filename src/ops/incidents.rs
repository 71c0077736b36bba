//! Incident actions: suspend, in one confirmed action with a reason, every
//! credential of an application (its team), or every credential of one
//! consumer team on a product (its provider); and the intake of keys
//! reported leaked, which suspends a live key at once.

use serde::Deserialize;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::actors::incidents::{ReportLeak, SuspendMany};
use crate::crypto::digest::{constant_time_eq, hmac_sha256};
use crate::domain::credential::{Credential, Desired};
use crate::domain::ids::{ApplicationId, ProductId, TeamId};
use crate::domain::key_format;
use crate::domain::subscription::Reason;

/// How many credentials an incident action took in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspended {
    /// Active ones now suspending (or deleting, where the plane cannot suspend).
    pub suspending: usize,
    /// Already inactive, deleted or expired: left as they were.
    pub left: usize,
}

fn suspendable(state: &AppState, list: &[Credential]) -> Vec<String> {
    let mut planes: Vec<String> = list.iter().map(|c| c.dataplane.clone()).collect();
    planes.sort();
    planes.dedup();
    planes
        .into_iter()
        .filter(|d| state.dataplanes.can_suspend(d))
        .collect()
}

/// The consumer suspends every credential of one of its applications.
pub async fn suspend_application(
    state: &AppState,
    caller: &Caller,
    app: ApplicationId,
    reason: &str,
) -> Result<Suspended, OpError> {
    caller.may_change()?;
    let app = super::applications::team_app(state, caller.team_id(), app)?;
    let reason = Reason::parse(reason).map_err(|e| OpError::Invalid(vec![e]))?;
    let all = state.store.credentials_of_app(app.id)?.to_vec();
    let live: Vec<_> = all
        .iter()
        .filter(|c| c.desired == Desired::Active)
        .collect();
    let cmd = SuspendMany {
        ids: live.iter().map(|c| c.id).collect(),
        suspendable: suspendable(state, &all),
        reason: reason.as_str().to_owned(),
        actor: Some(caller.user),
        provider: None,
        notice: format!(
            "{{n}} credential(s) of {} are being suspended: {}",
            app.details.name,
            reason.as_str()
        ),
        link: format!("/teams/{}/applications/{}", caller.team_id(), app.id),
    };
    let n = state.teams.send(caller.team_id(), cmd).await??;
    Ok(Suspended {
        suspending: n,
        left: all.len() - n,
    })
}

/// A provider suspends every credential one consumer team holds on one of
/// its products.
pub async fn suspend_consumer_on_product(
    state: &AppState,
    caller: &Caller,
    product: ProductId,
    consumer: TeamId,
    reason: &str,
) -> Result<Suspended, OpError> {
    caller.must_provide()?;
    caller.may_change()?;
    let p = super::catalog::own_product(state, caller, product)?;
    let reason = Reason::parse(reason).map_err(|e| OpError::Invalid(vec![e]))?;
    let all: Vec<Credential> = state
        .store
        .credentials_of_provider(caller.team_id())?
        .into_iter()
        .filter(|c| c.product == p.id && c.team == consumer)
        .collect();
    if all.is_empty() {
        return Err(OpError::NotFound);
    }
    let live: Vec<_> = all
        .iter()
        .filter(|c| c.desired == Desired::Active)
        .collect();
    let cmd = SuspendMany {
        ids: live.iter().map(|c| c.id).collect(),
        suspendable: suspendable(state, &all),
        reason: reason.as_str().to_owned(),
        actor: Some(caller.user),
        provider: Some(caller.team_id()),
        notice: format!(
            "The provider of {} is suspending {{n}} of your credential(s) on it: {}",
            p.details.name,
            reason.as_str()
        ),
        link: format!("/teams/{consumer}/credentials"),
    };
    let n = state.teams.send(consumer, cmd).await??;
    Ok(Suspended {
        suspending: n,
        left: all.len() - n,
    })
}

/// One report of an exposed secret, as secret-scanning services send them.
#[derive(Debug, Clone, Deserialize)]
pub struct LeakReport {
    pub token: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub source: String,
}

/// The answer for one report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeakVerdict {
    pub token_raw: String,
    pub token_type: String,
    /// `true_positive`: a live Agora key, now suspended; `false_positive`:
    /// not one (unknown, mistyped, revoked or already inactive).
    pub label: &'static str,
}

/// Reports per call, and the longest URL or source kept.
pub const MAX_REPORTS: usize = 1_000;
const MAX_TEXT: usize = 500;

/// Whether `signature` (`sha256=<hex>`) is the HMAC of `body` with `secret`.
pub fn signed(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(hex_mac) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_mac) else {
        return false;
    };
    constant_time_eq(&hmac_sha256(secret, &[body]), &given)
}

fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect()
}

/// Takes in reports: a live Agora API key whose secret matches is suspended
/// at once (deleted where its plane cannot suspend); a previous secret still
/// in its renewal grace ends the grace at once (the current secret keeps
/// working). Either way its team is told where it was found, and the report
/// is audited. Others are answered as false positives; nothing tells a
/// reporter more than that.
pub async fn intake(state: &AppState, reports: &[LeakReport]) -> Result<Vec<LeakVerdict>, OpError> {
    let mut out = Vec::with_capacity(reports.len());
    for r in reports {
        let verdict = |label| LeakVerdict {
            token_raw: r.token.clone(),
            token_type: r.kind.clone(),
            label,
        };
        let (url, source) = (clip(&r.url), clip(&r.source));
        let whereabouts = match (url.is_empty(), source.is_empty()) {
            (false, false) => format!("{url} ({source})"),
            (false, true) => url.clone(),
            (true, false) => source.clone(),
            (true, true) => "a public place".to_owned(),
        };
        if r.token.trim().starts_with(key_format::TOKEN_PREFIX) {
            let live = super::tokens::revoke_leaked(state, r.token.trim(), &whereabouts).await?;
            out.push(verdict(if live {
                "true_positive"
            } else {
                "false_positive"
            }));
            continue;
        }
        let Ok((key_id, secret)) = key_format::parse_api_key(r.token.trim()) else {
            out.push(verdict("false_positive"));
            continue;
        };
        let c = match state.store.credential_by_key(&key_id)? {
            Some(c) => c,
            None => {
                out.push(verdict("false_positive"));
                continue;
            }
        };
        let presented = hex::encode(hmac_sha256(&state.pepper, &[secret.as_bytes()]));
        let cmd = ReportLeak {
            id: c.id,
            presented,
            suspendable: state.dataplanes.can_suspend(&c.dataplane),
            whereabouts,
        };
        if state.teams.send(c.team, cmd).await??.is_none() {
            out.push(verdict("false_positive"));
            continue;
        }
        out.push(verdict("true_positive"));
    }
    state.store.flush().await?;
    Ok(out)
}
