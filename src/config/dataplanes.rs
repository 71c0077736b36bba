//! `[dataplanes.<name>]`: where resources are hosted. `embedded` always
//! exists; more are named in the settings with their kind.

use std::collections::BTreeMap;
use std::fmt;

use std::time::Duration;

use super::source::Origin;
use super::{ConfigError, parse_duration};

/// The data plane every Agora has: the one inside the binary.
pub const EMBEDDED_DATAPLANE: &str = "embedded";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataPlaneKind {
    /// Inside the binary: its own storage, checked by the gateway endpoints.
    Embedded,
    /// The provider provisions by hand from the Provisioning queue.
    Manual,
}

impl DataPlaneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DataPlaneKind::Embedded => "embedded",
            DataPlaneKind::Manual => "manual",
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
}

const KEYS: &[&str] = &["kind", "view_window", "max_renew_grace"];
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
                other => {
                    return Err(at(
                        "kind",
                        origin,
                        format!(
                            "'{other}' is not a data plane kind: put \"manual\" or \"embedded\""
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
        let view_window = duration_of(&name, &settings, "view_window", DEFAULT_VIEW_WINDOW)?;
        let max_renew_grace = duration_of(&name, &settings, "max_renew_grace", DEFAULT_MAX_GRACE)?;
        let plane = DataPlaneConfig {
            name: name.clone(),
            kind,
            view_window,
            max_renew_grace,
        };
        if name == EMBEDDED_DATAPLANE {
            planes[0] = plane;
        } else {
            planes.push(plane);
        }
    }
    Ok(planes)
}
