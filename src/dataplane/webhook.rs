//! The `webhook` data plane: an agent beside an existing gateway (Kong, Tyk,
//! a cloud gateway, your own), called with one signed JSON document per task.
//! The protocol is in docs/agent-protocol.md.
//!
//! Answers: 2xx = done (optionally with the secret the agent made up, and a
//! message); 3xx (never followed) and 4xx other than 408 and 429 = refused
//! for good; 5xx, 408, 429, timeouts and connection errors = try again later
//! (after `Retry-After`).

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::{Capabilities, DataPlane, DataPlaneError, Outcome};
use crate::clock::SharedClock;
use crate::config::{DataPlaneConfig, WebhookConfig};
use crate::crypto::digest::hmac_sha256;
use crate::crypto::vault::Vault;
use crate::domain::outbox::{Task, agent_aad};
use crate::outgoing::{Guarded, Options, describe, read_bounded};

/// The most of an agent's answer that is read.
const ANSWER_LIMIT: usize = 64 * 1024;

pub const TIMESTAMP_HEADER: &str = "X-Agora-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Agora-Signature";

/// The signature of a call: `v1=` and the hex HMAC-SHA-256 of
/// `<timestamp>.<body>` under the agent's signing secret.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    format!(
        "v1={}",
        hex::encode(hmac_sha256(secret, &[ts.as_bytes(), b".", body]))
    )
}

pub struct WebhookPlane {
    name: String,
    cfg: WebhookConfig,
    view_window: Duration,
    vault: Vault,
    clock: SharedClock,
    client: Guarded,
}

impl WebhookPlane {
    pub fn new(
        d: &DataPlaneConfig,
        vault: Vault,
        clock: SharedClock,
        lookup: Option<crate::outgoing::Lookup>,
    ) -> Self {
        let cfg = d
            .webhook
            .clone()
            .expect("a webhook data plane has webhook settings");
        // An agent is called only where the address rule of outgoing calls
        // allows: private addresses need the plane's allow_private_targets.
        let client = Guarded::new(Options {
            timeout: cfg.timeout,
            user_agent: concat!("agora/", env!("CARGO_PKG_VERSION")).to_owned(),
            allow_private: cfg.allow_private_targets,
            lookup,
        })
        // Infallible in practice: the builder fails only on a TLS backend
        // without roots (rustls carries its own) or an unreadable proxy
        // setting (none is read).
        .expect("an HTTP client with rustls and no proxy builds");
        Self {
            name: d.name.clone(),
            cfg,
            view_window: d.view_window,
            vault,
            clock,
            client,
        }
    }

    /// The JSON document for a task. The clear secret is included only for
    /// provision or renew of a secret Agora generated.
    fn document(&self, task: &Task) -> Result<serde_json::Value, DataPlaneError> {
        let g = &task.grant;
        let mut doc = json!({
            "operation": task.op_name(),
            "idempotency_key": task.key,
            "data_plane": self.name,
            "team": { "id": g.team.to_string(), "name": g.team_name },
            "application": { "id": g.application.to_string(), "name": g.application_name },
            "product": { "id": g.product.map(|p| p.to_string()), "name": g.product_name },
            "resource": { "id": g.resource.to_string(), "name": g.resource_name, "route": g.route },
            "plan": {
                "name": g.plan_name,
                "quota": { "per_minute": g.quota.per_minute, "per_day": g.quota.per_day },
            },
            "access": { "id": g.access.to_string() },
        });
        if let Some(w) = &task.credential {
            doc["credential"] = json!({
                "id": w.credential.to_string(),
                "type": w.kind.as_str(),
                "key_id": w.key_id.as_str(),
                "client_id": (w.kind == crate::domain::resource::CredentialType::OauthClient).then(|| w.key_id.client_id()),
                "active": w.active,
                "secret_version": w.secret_version,
                "secret_hash": w.secret_hash,
                "previous_secret_valid_until": w.grace_until.map(|t| t.as_millis() / 1000),
            });
            if let Some(sealed) = &w.sealed_secret {
                let clear = self
                    .vault
                    .open(sealed, &agent_aad(w.credential, w.secret_version))
                    .map_err(|_| {
                        DataPlaneError::Permanent("the secret to install could not be read".into())
                    })?;
                doc["secret"] = json!(String::from_utf8_lossy(&clear));
            }
        }
        Ok(doc)
    }
}

#[derive(Deserialize, Default)]
struct AgentAnswer {
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(24 * 3_600)))
        .unwrap_or(Duration::ZERO)
}

impl DataPlane for WebhookPlane {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            suspend: self.cfg.suspend,
            renew: self.cfg.renew,
            by_hand: false,
            generates_secrets: self.cfg.generates_secrets,
        }
    }

    fn apply<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<Outcome, DataPlaneError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&self.document(task)?)
                .map_err(|e| DataPlaneError::Permanent(e.to_string()))?;
            let now = self.clock.now();
            let ts = now.as_millis() / 1000;
            let request = self.client.post(&self.cfg.url).map_err(|e| {
                DataPlaneError::Permanent(format!("the agent's URL is refused: {e}"))
            })?;
            let res = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(TIMESTAMP_HEADER, ts.to_string())
                .header(SIGNATURE_HEADER, signature(&self.cfg.secret.0, ts, &body))
                .header("Idempotency-Key", &task.key)
                .body(body)
                .send()
                .await;
            let res = match res {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    return Err(DataPlaneError::Temporary(format!(
                        "the agent did not answer within {} s",
                        self.cfg.timeout.as_secs_f64()
                    )));
                }
                Err(e) if e.is_connect() => {
                    return Err(DataPlaneError::Temporary(format!(
                        "the agent cannot be reached: {}",
                        describe(&e)
                    )));
                }
                Err(e) => {
                    return Err(DataPlaneError::Temporary(format!(
                        "calling the agent failed: {e}"
                    )));
                }
            };
            let status = res.status().as_u16();
            let wait = retry_after(res.headers());
            let location = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(200).collect::<String>());
            let text = read_bounded(res, ANSWER_LIMIT).await;
            let answer: AgentAnswer = serde_json::from_str(&text).unwrap_or_default();
            let said = |fallback: String| {
                answer
                    .message
                    .clone()
                    .filter(|m| !m.trim().is_empty())
                    .map(|m| m.chars().take(500).collect())
                    .unwrap_or(fallback)
            };
            match status {
                200..=299 => {
                    let w = task.credential.as_ref();
                    let wants_secret = self.cfg.generates_secrets
                        && w.is_some_and(|w| {
                            matches!(
                                w.op,
                                crate::domain::credential::CredentialOp::Provision
                                    | crate::domain::credential::CredentialOp::Renew
                            )
                        });
                    match (wants_secret, answer.secret, w) {
                        (true, Some(secret), _) if secret.trim().is_empty() => {
                            Err(DataPlaneError::Permanent(
                                "the agent answered with an empty secret".into(),
                            ))
                        }
                        (true, Some(secret), Some(w)) => {
                            let sealed = self.vault.seal(
                                secret.as_bytes(),
                                &crate::domain::credential::secret_aad(
                                    w.credential,
                                    w.secret_version,
                                ),
                            );
                            Ok(Outcome::DoneWithSecret {
                                sealed,
                                until: now.plus(self.view_window),
                                client_id: None,
                            })
                        }
                        (true, None, _) => Err(DataPlaneError::Permanent(
                            "the agent answered without the secret it was to make up".into(),
                        )),
                        _ => Ok(Outcome::Done),
                    }
                }
                300..=399 => Err(DataPlaneError::Permanent(format!(
                    "the agent answered with a redirect ({status}{}); Agora does not follow redirects: set the data plane's url to the agent itself",
                    location.map(|l| format!(" to {l}")).unwrap_or_default()
                ))),
                408 | 429 => Err(DataPlaneError::Busy(
                    said(format!("the agent is busy ({status})")),
                    wait,
                )),
                400..=499 => Err(DataPlaneError::Permanent(said(format!(
                    "the agent refused ({status})"
                )))),
                _ => Err(DataPlaneError::Busy(
                    said(format!("the agent failed ({status})")),
                    wait,
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::signature;

    /// The same value as the shell check in docs/agent-protocol.md gives.
    #[test]
    fn the_signature_matches_the_documented_shell_check() {
        assert_eq!(
            signature(
                b"0123456789abcdef0123456789abcdef",
                1_767_225_600,
                br#"{"a":1}"#
            ),
            "v1=5a178d9c0a752b5853bf52551646d72a3506620c785b7cfaf493f8b2adddfbdd"
        );
    }
}
