//! Values of several sections: intervals, reminder days, the hashing
//! concurrency's default, and the leaked-key signing secret.

use std::time::Duration;

use super::{ConfigError, SigningSecret, parse_duration};

/// Half the cores, at least one: sign-ins at full tilt still leave the other
/// half to serve pages.
pub(super) fn default_hash_concurrency() -> i64 {
    std::thread::available_parallelism().map_or(1, |n| (n.get() as i64 / 2).max(1))
}

/// A scheduler interval: whole seconds, at least one.
pub(super) fn whole_seconds(v: &str) -> Result<Duration, String> {
    let d = parse_duration(v)?;
    if d.is_zero() || d.subsec_nanos() != 0 {
        return Err(
            "the scheduler counts whole seconds: put \"1s\" or more, such as \"2s\"".to_owned(),
        );
    }
    Ok(d)
}

/// "30, 14, 7, 3, 1": distinct whole days from 1 to 365, largest first;
/// empty: no reminders.
pub(super) fn parse_reminder_days(v: &str) -> Result<Vec<u32>, String> {
    let mut days = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<u32>() {
            Ok(d) if (1..=365).contains(&d) && !days.contains(&d) => days.push(d),
            _ => {
                return Err(format!(
                    "“{part}” is not a reminder: put distinct whole days from 1 to 365, separated by commas, such as \"30, 14, 7, 3, 1\""
                ));
            }
        }
    }
    if days.len() > 10 {
        return Err("put at most 10 reminders".to_owned());
    }
    days.sort_by(|a, b| b.cmp(a));
    Ok(days)
}

/// The secret that signs leaked-key reports, from a file or a variable.
pub(super) fn leak_secret(file: &str, var: &str) -> Result<Option<SigningSecret>, ConfigError> {
    let secret = match (file, var) {
        ("", "") => return Ok(None),
        (file, "") => std::fs::read(file)
            .map(|b| b.trim_ascii().to_vec())
            .map_err(|e| {
                ConfigError::new(format!(
                    "security.leaked_keys_secret_file: cannot read {file}: {e}; point it at the file holding the reports' signing secret"
                ))
            })?,
        ("", var) => std::env::var(var).map(String::into_bytes).map_err(|_| {
            ConfigError::new(format!(
                "security.leaked_keys_secret_env: the environment variable {var} is not set"
            ))
        })?,
        _ => {
            return Err(ConfigError::new(
                "security: name the leaked-key secret with leaked_keys_secret_file or leaked_keys_secret_env, not both",
            ));
        }
    };
    if secret.len() < 16 {
        return Err(ConfigError::new(
            "security: the leaked-key signing secret is shorter than 16 bytes; use a long random value",
        ));
    }
    Ok(Some(SigningSecret(secret)))
}
