//! Event webhooks: a team's endpoints, the event types they choose, and
//! how Agora's own audit trail names the events. Deliveries follow the
//! Standard Webhooks specification (the signing is the courier's).

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::ids::{EndpointId, TeamId, UserId};
use crate::clock::Timestamp;
use crate::outgoing::rule::{TargetError, parse_target};

/// Every event type an endpoint can choose.
pub const EVENT_TYPES: [&str; 20] = [
    "credential.created",
    "credential.active",
    "credential.suspended",
    "credential.enabled",
    "credential.renewed",
    "credential.expiring",
    "credential.expired",
    "credential.deleted",
    "credential.failed",
    "credential.leaked",
    "access.requested",
    "access.approved",
    "access.rejected",
    "access.revoked",
    "subscription.requested",
    "subscription.approved",
    "subscription.rejected",
    "subscription.ended",
    "endpoint.test",
    "endpoint.disabled",
];

/// The event an audit record tells of, if any: the audit action names it,
/// except that a cancelled subscription is `subscription.ended` and a
/// disabled endpoint `endpoint.disabled`. A test event is sent to the one
/// endpoint it tests, never made from the audit trail.
pub fn event_of(action: &str) -> Option<&'static str> {
    let name = match action {
        "subscription.cancelled" => "subscription.ended",
        "webhook.disabled" => "endpoint.disabled",
        "endpoint.test" | "endpoint.disabled" => return None,
        "credential.leak_reported" => "credential.leaked",
        other => other,
    };
    EVENT_TYPES.into_iter().find(|t| *t == name)
}

/// At most this many endpoints per team.
pub const MAX_PER_TEAM: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("Not found.")]
    Missing,
    #[error("A team has at most 20 webhook endpoints: remove one first.")]
    TooMany,
}

/// How long an endpoint may keep failing before it is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub team: TeamId,
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// The signing secret (`whsec_…`), sealed at rest.
    pub secret_sealed: Vec<u8>,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub enabled: bool,
    /// Since when every delivery has failed; `None` while it answers.
    #[serde(default)]
    pub failing_since: Option<Timestamp>,
    /// Why it was disabled.
    #[serde(default)]
    pub disabled_reason: Option<String>,
}

/// What binds a sealed signing secret to its endpoint.
pub fn secret_aad(id: EndpointId) -> Vec<u8> {
    let mut aad = b"webhook:".to_vec();
    aad.extend_from_slice(&id.to_bytes());
    aad
}

impl Endpoint {
    pub fn wants(&self, event: &str) -> bool {
        self.enabled && self.events.iter().any(|e| e == event)
    }
}

/// An endpoint's URL, read as the client that calls it reads it: https
/// (plain http too where private targets are allowed), no credentials in
/// it, at most 2,000 characters, and a host the address rule of outgoing
/// calls allows. Kept as the client will call it.
pub fn parse_url(raw: &str, allow_private: bool) -> Result<String, FieldError> {
    let url = raw.trim();
    let bad = |m: String| Err(FieldError::new("url", m));
    if url.len() > 2_000 {
        return bad("Use a URL of at most 2,000 characters.".into());
    }
    if !url.chars().all(|c| c.is_ascii_graphic()) {
        return bad("The URL has spaces or characters a URL cannot hold.".into());
    }
    match parse_target(url, allow_private) {
        Ok(parsed) => Ok(parsed.to_string()),
        Err(TargetError::Unreadable(_) | TargetError::NotHttps) => {
            bad("Put the endpoint's URL, starting with https://.".into())
        }
        Err(TargetError::PlainHttp) => bad(
            "Use a URL starting with https://: plain http:// is allowed only when this server may call private networks ([webhooks] allow_private_targets)."
                .into(),
        ),
        Err(TargetError::Userinfo | TargetError::NoHost) => {
            bad("Put a host in the URL, without a user name or password.".into())
        }
        Err(TargetError::Closed { host, why }) => bad(format!(
            "This URL reaches {host}, {why}. Webhooks go only to public addresses ([webhooks] allow_private_targets is off)."
        )),
    }
}

/// The chosen event types, each one Agora knows.
pub fn parse_events(chosen: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for e in chosen {
        match EVENT_TYPES.iter().find(|t| **t == e.as_str()) {
            Some(t) if !out.iter().any(|o| o == t) => out.push((*t).to_owned()),
            Some(_) => {}
            None => {
                return Err(FieldError::new(
                    "events",
                    format!("“{e}” is not an event type Agora sends."),
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(FieldError::new("events", "Choose at least one event type."));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_name_their_events() {
        assert_eq!(
            event_of("credential.suspended"),
            Some("credential.suspended")
        );
        assert_eq!(
            event_of("subscription.cancelled"),
            Some("subscription.ended")
        );
        assert_eq!(
            event_of("credential.viewed"),
            None,
            "no secret-adjacent events"
        );
        assert_eq!(event_of("endpoint.test"), None);
        assert_eq!(event_of("webhook.disabled"), Some("endpoint.disabled"));
        assert_eq!(event_of("credential.active"), Some("credential.active"));
        assert_eq!(event_of("credential.failed"), Some("credential.failed"));
    }

    #[test]
    fn urls_are_https_or_local() {
        assert!(parse_url("https://hooks.example.com/agora", false).is_ok());
        assert!(parse_url("http://127.0.0.1:9000/in", true).is_ok());
        assert!(parse_url("http://127.0.0.1:9000/in", false).is_err());
        assert!(parse_url("http://hooks.example.com/", false).is_err());
        let why = parse_url("https://0x7f000001:9000/in", false).unwrap_err();
        assert!(why.message.contains("127.0.0.1, a loopback"), "{why:?}");
        assert!(parse_url("https://user:pw@hooks.example.com/", false).is_err());
        assert!(parse_url("ftp://x", true).is_err());
        assert!(parse_url("https:// spaced.example", false).is_err());
    }

    #[test]
    fn events_are_known_ones() {
        let ok = parse_events(&["credential.created".into(), "credential.created".into()]);
        assert_eq!(ok.unwrap(), ["credential.created"]);
        assert!(parse_events(&[]).is_err());
        assert!(parse_events(&["credential.stolen".into()]).is_err());
    }
}
