//! `[smtp]`: how Agora sends email. Without a host, email is off: the
//! pages still show invitation links, and nothing is queued for mail.

use std::fmt;
use std::time::Duration;

use super::ConfigError;
use super::source::Sources;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP, for a relay on the same host or a private network.
    None,
    /// Connect in plain, then upgrade with STARTTLS (refused if the server cannot).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl SmtpTls {
    fn parse(v: &str) -> Result<Self, String> {
        match v {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Tls),
            _ => Err("put \"starttls\", \"tls\" or \"none\"".to_owned()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::StartTls => "starttls",
            Self::Tls => "tls",
        }
    }
}

/// The SMTP password, never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPassword(pub String);

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpPassword(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<SmtpPassword>,
    /// The sender, as `Agora <agora@example.com>` or a bare address.
    pub from: String,
    pub timeout: Duration,
}

pub(super) const KEYS: &[&str] = &[
    "host",
    "port",
    "tls",
    "user",
    "password_file",
    "password_env",
    "from",
    "timeout",
];

/// A mailbox as people write it: `Name <a@b.example>` or `a@b.example`.
pub fn is_mailbox(v: &str) -> bool {
    let address = match (v.rfind('<'), v.ends_with('>')) {
        (Some(open), true) => &v[open + 1..v.len() - 1],
        (None, false) => v,
        _ => return false,
    };
    is_address(address)
}

/// One `local@domain` with no spaces or angle brackets, at most 254 bytes.
pub fn is_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else {
        return false;
    };
    a.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && a.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | ',' | ';'))
}

pub(super) fn parse(s: &mut Sources) -> Result<Option<SmtpConfig>, ConfigError> {
    let host = s.parse("smtp", "host", "", |v| Ok(v.trim().to_owned()))?;
    let port = s.int("smtp", "port", 587, 1, 65_535)?;
    let tls = s.parse("smtp", "tls", "starttls", SmtpTls::parse)?;
    let user = s.parse("smtp", "user", "", |v| Ok(v.trim().to_owned()))?;
    let file = s.parse("smtp", "password_file", "", |v| Ok(v.trim().to_owned()))?;
    let env = s.parse("smtp", "password_env", "", |v| Ok(v.trim().to_owned()))?;
    let from = s.parse("smtp", "from", "", |v| {
        let v = v.trim();
        if v.is_empty() || is_mailbox(v) {
            Ok(v.to_owned())
        } else {
            Err("put the sender's address, such as \"Agora <agora@example.com>\"".to_owned())
        }
    })?;
    let timeout = s.duration("smtp", "timeout", "10s", true)?;
    if host.is_empty() {
        return Ok(None);
    }
    if from.is_empty() {
        return Err(ConfigError::new(
            "smtp.from: with smtp.host set, put the sender's address, such as \"Agora <agora@example.com>\"",
        ));
    }
    let password = match (file.as_str(), env.as_str()) {
        ("", "") => None,
        (file, "") => Some(
            std::fs::read_to_string(file)
                .map(|p| SmtpPassword(p.trim_end_matches(['\r', '\n']).to_owned()))
                .map_err(|e| {
                    ConfigError::new(format!(
                        "smtp.password_file: cannot read {file}: {e}; point it at the file holding the SMTP password"
                    ))
                })?,
        ),
        ("", var) => Some(SmtpPassword(std::env::var(var).map_err(|_| {
            ConfigError::new(format!(
                "smtp.password_env: the environment variable {var} is not set; set it to the SMTP password"
            ))
        })?)),
        _ => {
            return Err(ConfigError::new(
                "smtp: name the password with password_file or password_env, not both",
            ));
        }
    };
    if password.is_some() && user.is_empty() {
        return Err(ConfigError::new(
            "smtp.user: a password is set without a user; put the SMTP user name",
        ));
    }
    if password.is_some() && tls == SmtpTls::None && !is_local(&host) {
        return Err(ConfigError::new(format!(
            "smtp.tls: \"none\" would send the password in the clear to {host}; use \"starttls\" or \"tls\""
        )));
    }
    Ok(Some(SmtpConfig {
        host,
        port,
        tls,
        user: Some(user).filter(|u| !u.is_empty()),
        password,
        from,
        timeout,
    }))
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_are_read_as_people_write_them() {
        assert!(is_mailbox("Agora <agora@example.com>"));
        assert!(is_mailbox("agora@example.com"));
        assert!(!is_mailbox("agora"));
        assert!(!is_mailbox("Agora <agora@example.com"));
        assert!(!is_mailbox("a@b.example, c@d.example"));
        assert!(!is_address("a b@example.com"));
    }
}
