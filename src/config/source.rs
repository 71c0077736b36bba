//! Where settings come from, and typed reads that name the key in every error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use super::{ConfigError, parse_duration};

#[derive(Debug, Clone)]
pub(super) enum Origin {
    Default,
    File(String),
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("the built-in default"),
            Origin::File(name) => f.write_str(name),
            Origin::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

pub(super) struct Sources {
    schema: &'static [(&'static str, &'static [&'static str])],
    values: BTreeMap<(String, String), (toml::Value, Origin)>,
    /// `[dataplanes.<name>]` tables: name → key → value.
    pub(super) dataplanes: BTreeMap<String, BTreeMap<String, (toml::Value, Origin)>>,
}

/// The section whose tables are named by the user: `[dataplanes.<name>]`.
pub(super) const DATAPLANES: &str = "dataplanes";

impl Sources {
    pub(super) fn new(schema: &'static [(&'static str, &'static [&'static str])]) -> Self {
        Self {
            schema,
            values: BTreeMap::new(),
            dataplanes: BTreeMap::new(),
        }
    }

    pub(super) fn read_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(format!(
                "cannot read the config file {}: {e}; pass an existing file with --config, or leave it out to use the defaults",
                path.display()
            ))
        })?;
        self.read_text(&text, &path.display().to_string())
    }

    pub(super) fn read_text(&mut self, text: &str, name: &str) -> Result<(), ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::new(format!("{name} is not valid TOML: {}", e.message()))
        })?;
        for (section, body) in table {
            let toml::Value::Table(body) = body else {
                return Err(ConfigError::new(format!(
                    "{name}: `{section}` must be a section like [{section}]; known sections: {}",
                    self.section_names()
                )));
            };
            if section == DATAPLANES {
                for (plane, settings) in body {
                    let toml::Value::Table(settings) = settings else {
                        return Err(ConfigError::new(format!(
                            "{name}: dataplanes.{plane} must be a table like [dataplanes.{plane}] with kind = \"manual\""
                        )));
                    };
                    let entry = self.dataplanes.entry(plane).or_default();
                    for (key, value) in settings {
                        entry.insert(key, (value, Origin::File(name.to_owned())));
                    }
                }
                continue;
            }
            for (key, value) in body {
                self.check_known(&section, &key, &Origin::File(name.to_owned()))?;
                self.values.insert(
                    (section.clone(), key),
                    (value, Origin::File(name.to_owned())),
                );
            }
        }
        Ok(())
    }

    /// `AGORA_SERVER__BIND=...` sets `server.bind`. Values are read as TOML
    /// scalars when they are one (`true`, `8080`), else as text.
    pub(super) fn read_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (var, raw) in env {
            let Some(rest) = var.strip_prefix("AGORA_") else {
                continue;
            };
            let Some((section, key)) = rest.split_once("__") else {
                continue;
            };
            let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
            let origin = Origin::Env(var.clone());
            let value = format!("v = {raw}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .filter(|v| !v.is_table() && !v.is_array())
                .unwrap_or(toml::Value::String(raw));
            // AGORA_DATAPLANES__<NAME>__<KEY>
            if section == DATAPLANES {
                let Some((plane, key)) = key.split_once("__") else {
                    return Err(ConfigError::new(format!(
                        "{origin}: name the data plane and the key, as in AGORA_DATAPLANES__GATEWAY__KIND"
                    )));
                };
                self.dataplanes
                    .entry(plane.to_owned())
                    .or_default()
                    .insert(key.to_owned(), (value, origin));
                continue;
            }
            self.check_known(&section, &key, &origin)?;
            self.values.insert((section, key), (value, origin));
        }
        Ok(())
    }

    fn section_names(&self) -> String {
        let mut names: Vec<&str> = self.schema.iter().map(|(s, _)| *s).collect();
        names.push("dataplanes.<name>");
        names.join(", ")
    }

    fn check_known(&self, section: &str, key: &str, origin: &Origin) -> Result<(), ConfigError> {
        let Some((_, keys)) = self.schema.iter().find(|(s, _)| *s == section) else {
            return Err(ConfigError::new(format!(
                "{origin}: unknown section [{section}]; known sections: {}",
                self.section_names()
            )));
        };
        if !keys.contains(&key) {
            return Err(ConfigError::new(format!(
                "{origin}: unknown key {section}.{key}; the keys of [{section}] are: {}",
                keys.join(", ")
            )));
        }
        Ok(())
    }

    fn take(&mut self, section: &str, key: &str) -> Option<(toml::Value, Origin)> {
        self.values.remove(&(section.to_owned(), key.to_owned()))
    }

    /// Reads a text value (numbers are accepted as their text) and parses it.
    pub(super) fn parse<T>(
        &mut self,
        section: &str,
        key: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let name = format!("{section}.{key}");
        let (text, origin) = match self.take(section, key) {
            None => (default.to_owned(), Origin::Default),
            Some((toml::Value::String(s), o)) => (s, o),
            Some((toml::Value::Integer(i), o)) => (i.to_string(), o),
            Some((other, o)) => {
                return Err(ConfigError::at(
                    &name,
                    &o,
                    format!("expected text, found {}", other.type_str()),
                ));
            }
        };
        parse(&text)
            .map_err(|why| ConfigError::at(&name, &origin, format!("'{text}' is not valid: {why}")))
    }

    pub(super) fn bool(
        &mut self,
        section: &str,
        key: &str,
        default: bool,
    ) -> Result<bool, ConfigError> {
        match self.take(section, key) {
            None => Ok(default),
            Some((toml::Value::Boolean(b), _)) => Ok(b),
            Some((other, o)) => Err(ConfigError::at(
                &format!("{section}.{key}"),
                &o,
                format!("'{other}' is not valid: put true or false"),
            )),
        }
    }

    pub(super) fn int<T: TryFrom<i64>>(
        &mut self,
        section: &str,
        key: &str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<T, ConfigError> {
        let name = format!("{section}.{key}");
        let (value, origin) = match self.take(section, key) {
            None => (default, Origin::Default),
            Some((toml::Value::Integer(i), o)) => (i, o),
            Some((other, o)) => {
                return Err(ConfigError::at(
                    &name,
                    &o,
                    format!("'{other}' is not valid: put a whole number from {min} to {max}"),
                ));
            }
        };
        if !(min..=max).contains(&value) {
            return Err(ConfigError::at(
                &name,
                &origin,
                format!("{value} is out of range: put a whole number from {min} to {max}"),
            ));
        }
        T::try_from(value).map_err(|_| ConfigError::at(&name, &origin, "the number does not fit"))
    }

    pub(super) fn duration(
        &mut self,
        section: &str,
        key: &str,
        default: &str,
        nonzero: bool,
    ) -> Result<Duration, ConfigError> {
        self.parse(section, key, default, |v| {
            let d = parse_duration(v).map_err(|why| {
                format!("{why}; put a duration such as \"90s\", \"30m\", \"12h\" or \"3d\"")
            })?;
            if nonzero && d.is_zero() {
                return Err("it must be longer than zero".to_owned());
            }
            Ok(d)
        })
    }
}
