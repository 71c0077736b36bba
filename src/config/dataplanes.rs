//! `[dataplanes.<name>]`: where resources are hosted. `embedded` always
//! exists; more are named in the settings with their kind.

use std::collections::BTreeMap;
use std::fmt;

use super::ConfigError;
use super::source::Origin;

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
}

const KEYS: &[&str] = &["kind"];

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
        if name != EMBEDDED_DATAPLANE {
            planes.push(DataPlaneConfig { name, kind });
        }
    }
    Ok(planes)
}
