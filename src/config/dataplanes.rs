//! `[dataplanes.<name>]`: where resources are hosted. `embedded` always
//! exists; more are named in the settings with their kind.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::source::Origin;
use super::{ConfigError, parse_duration};
use crate::outgoing::rule::{TargetError, parse_target};

/// The data plane every Agora has: the one inside the binary.
pub const EMBEDDED_DATAPLANE: &str = "embedded";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataPlaneKind {
    /// Inside the binary: its own storage, checked by the gateway endpoints.
    Embedded,
    /// The provider provisions by hand from the Provisioning queue.
    Manual,
    /// An agent beside an existing gateway, called over signed HTTP.
    Webhook,
}

impl DataPlaneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DataPlaneKind::Embedded => "embedded",
            DataPlaneKind::Manual => "manual",
            DataPlaneKind::Webhook => "webhook",
        }
    }
}

impl fmt::Display for DataPlaneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPlaneConfig {
    pub name: String,
    pub kind: DataPlaneKind,
    /// How long a credential's clear secret can be viewed; zero: shown once at creation only.
    pub view_window: Duration,
    /// The longest grace period a renewal may keep the old secret working.
    pub max_renew_grace: Duration,
    /// For the `webhook` kind: how to reach and sign for the agent.
    pub webhook: Option<WebhookConfig>,
}

/// A webhook agent's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: SigningSecret,
    pub timeout: Duration,
    pub suspend: bool,
    pub renew: bool,
    /// The agent makes up the secrets and returns them; Agora does not.
    pub generates_secrets: bool,
    /// The agent is on this machine or a private network: the address rule
    /// of outgoing calls lets its calls through (plain http too).
    pub allow_private_targets: bool,
}

/// The key that signs calls to an agent. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(pub Vec<u8>);

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

const KEYS: &[&str] = &[
    "kind",
    "view_window",
    "max_renew_grace",
    "url",
    "secret_file",
    "secret_env",
    "timeout",
    "suspend",
    "renew",
    "generates_secrets",
    "allow_private_targets",
];
const WEBHOOK_ONLY: &[&str] = &[
    "url",
    "secret_file",
    "secret_env",
    "timeout",
    "suspend",
    "renew",
    "generates_secrets",
    "allow_private_targets",
];

fn text_of<'a>(
    name: &str,
    settings: &'a BTreeMap<String, (toml::Value, Origin)>,
    key: &str,
) -> Result<Option<&'a str>, ConfigError> {
    match settings.get(key) {
        None => Ok(None),
        Some((toml::Value::String(v), _)) => Ok(Some(v.as_str())),
        Some((other, origin)) => Err(ConfigError::new(format!(
            "dataplanes.{name}.{key} (from {origin}): expected text, found {}",
            other.type_str()
        ))),
    }
}

fn bool_of(
    name: &str,
    settings: &BTreeMap<String, (toml::Value, Origin)>,
    key: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match settings.get(key) {
        None => Ok(default),
        Some((toml::Value::Boolean(b), _)) => Ok(*b),
        Some((other, origin)) => Err(ConfigError::new(format!(
            "dataplanes.{name}.{key} (from {origin}): '{other}' is not valid: put true or false"
        ))),
    }
}

fn webhook(
    name: &str,
    settings: &BTreeMap<String, (toml::Value, Origin)>,
) -> Result<WebhookConfig, ConfigError> {
    let url = text_of(name, settings, "url")?.unwrap_or("");
    let allow_private_targets = bool_of(name, settings, "allow_private_targets", false)?;
    match parse_target(url, allow_private_targets) {
        Ok(_) => {}
        Err(TargetError::Closed { host, why }) => {
            return Err(ConfigError::new(format!(
                "dataplanes.{name}.url: {host} is {why}; if the agent is on this machine or your private network, set dataplanes.{name}.allow_private_targets = true"
            )));
        }
        Err(TargetError::PlainHttp) => {
            return Err(ConfigError::new(format!(
                "dataplanes.{name}.url: plain http:// only to an agent on a private network (set dataplanes.{name}.allow_private_targets = true), otherwise https://"
            )));
        }
        Err(e) => {
            return Err(ConfigError::new(format!(
                "dataplanes.{name}.url: {e}; put the agent's URL, starting with https://"
            )));
        }
    }
    let secret = match (
        text_of(name, settings, "secret_file")?,
        text_of(name, settings, "secret_env")?,
    ) {
        (Some(file), None) => std::fs::read(file)
            .map(|b| b.trim_ascii().to_vec())
            .map_err(|e| {
                ConfigError::new(format!(
                    "dataplanes.{name}.secret_file: cannot read {file}: {e}; point it at the file holding the agent's signing secret"
                ))
            })?,
        (None, Some(var)) => std::env::var(var).map(String::into_bytes).map_err(|_| {
            ConfigError::new(format!(
                "dataplanes.{name}.secret_env: the environment variable {var} is not set; set it to the agent's signing secret"
            ))
        })?,
        _ => {
            return Err(ConfigError::new(format!(
                "dataplanes.{name}: name the signing secret with secret_file or secret_env (one of them)"
            )));
        }
    };
    if secret.len() < 16 {
        return Err(ConfigError::new(format!(
            "dataplanes.{name}: the signing secret is shorter than 16 bytes; use a long random value"
        )));
    }
    Ok(WebhookConfig {
        url: url.trim_end_matches('/').to_owned(),
        secret: SigningSecret(secret),
        timeout: duration_of(name, settings, "timeout", Duration::from_secs(10))?,
        suspend: bool_of(name, settings, "suspend", true)?,
        renew: bool_of(name, settings, "renew", true)?,
        generates_secrets: bool_of(name, settings, "generates_secrets", false)?,
        allow_private_targets,
    })
}
const DEFAULT_VIEW_WINDOW: Duration = Duration::from_secs(3 * 86_400);
const DEFAULT_MAX_GRACE: Duration = Duration::from_secs(7 * 86_400);

fn duration_of(
    name: &str,
    settings: &BTreeMap<String, (toml::Value, Origin)>,
    key: &str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match settings.get(key) {
        None => Ok(default),
        Some((toml::Value::Integer(0), _)) => Ok(Duration::ZERO),
        Some((toml::Value::String(v), origin)) => parse_duration(v).map_err(|why| {
            ConfigError::new(format!(
                "dataplanes.{name}.{key} (from {origin}): '{v}' is not valid: {why}; put a duration such as \"3d\" or \"0\""
            ))
        }),
        Some((other, origin)) => Err(ConfigError::new(format!(
            "dataplanes.{name}.{key} (from {origin}): expected a duration such as \"3d\", found {}",
            other.type_str()
        ))),
    }
}

fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The configured data planes, `embedded` first.
pub(super) fn parse(
    tables: BTreeMap<String, BTreeMap<String, (toml::Value, Origin)>>,
) -> Result<Vec<DataPlaneConfig>, ConfigError> {
    let mut planes = vec![DataPlaneConfig {
        name: EMBEDDED_DATAPLANE.to_owned(),
        kind: DataPlaneKind::Embedded,
        view_window: DEFAULT_VIEW_WINDOW,
        max_renew_grace: DEFAULT_MAX_GRACE,
        webhook: None,
    }];
    for (name, settings) in tables {
        let at = |key: &str, origin: &Origin, why: String| {
            ConfigError::new(format!("dataplanes.{name}.{key} (from {origin}): {why}"))
        };
        if !valid_name(&name) {
            return Err(ConfigError::new(format!(
                "[dataplanes.{name}]: a data plane name starts with a lowercase letter and uses a-z, 0-9, - and _ (at most 40)"
            )));
        }
        for (key, (_, origin)) in &settings {
            if !KEYS.contains(&key.as_str()) {
                return Err(at(
                    key,
                    origin,
                    format!(
                        "unknown key; the keys of a data plane are: {}",
                        KEYS.join(", ")
                    ),
                ));
            }
        }
        let kind = match settings.get("kind") {
            None if name == EMBEDDED_DATAPLANE => DataPlaneKind::Embedded,
            None => {
                return Err(ConfigError::new(format!(
                    "[dataplanes.{name}] needs a kind: put kind = \"manual\" (or \"embedded\" for the built-in one)"
                )));
            }
            Some((toml::Value::String(k), origin)) => match k.as_str() {
                "embedded" => DataPlaneKind::Embedded,
                "manual" => DataPlaneKind::Manual,
                "webhook" => DataPlaneKind::Webhook,
                other => {
                    return Err(at(
                        "kind",
                        origin,
                        format!(
                            "'{other}' is not a data plane kind: put \"webhook\", \"manual\" or \"embedded\""
                        ),
                    ));
                }
            },
            Some((other, origin)) => {
                return Err(at(
                    "kind",
                    origin,
                    format!("expected text, found {}", other.type_str()),
                ));
            }
        };
        if (name == EMBEDDED_DATAPLANE) != (kind == DataPlaneKind::Embedded) {
            return Err(ConfigError::new(format!(
                "[dataplanes.{name}]: only the data plane named \"embedded\" has the kind embedded, and it always has"
            )));
        }
        let webhook = match kind {
            DataPlaneKind::Webhook => Some(webhook(&name, &settings)?),
            _ => {
                if let Some(key) = settings.keys().find(|k| WEBHOOK_ONLY.contains(&k.as_str())) {
                    return Err(ConfigError::new(format!(
                        "dataplanes.{name}.{key}: only a webhook data plane has this key"
                    )));
                }
                None
            }
        };
        let view_window = duration_of(&name, &settings, "view_window", DEFAULT_VIEW_WINDOW)?;
        let max_renew_grace = duration_of(&name, &settings, "max_renew_grace", DEFAULT_MAX_GRACE)?;
        // The agent's secret reaches the consumer only through the view
        // window: with none, nobody could ever see it.
        if view_window.is_zero() && webhook.as_ref().is_some_and(|w| w.generates_secrets) {
            return Err(ConfigError::new(format!(
                "dataplanes.{name}: generates_secrets = true needs a view_window longer than \"0\": the secret the agent makes up is shown to the consumer only within the view window; set view_window (such as \"1h\") or turn generates_secrets off"
            )));
        }
        // On a manual plane the provider enters the secret they made: the
        // consumer can only see it within the view window.
        if view_window.is_zero() && kind == DataPlaneKind::Manual {
            return Err(ConfigError::new(format!(
                "dataplanes.{name}: a manual data plane needs a view_window longer than \"0\": the secret the provider enters is shown to the consumer only within it; set view_window (such as \"1d\")"
            )));
        }
        let plane = DataPlaneConfig {
            name: name.clone(),
            kind,
            view_window,
            max_renew_grace,
            webhook,
        };
        if name == EMBEDDED_DATAPLANE {
            planes[0] = plane;
        } else {
            planes.push(plane);
        }
    }
    Ok(planes)
}
