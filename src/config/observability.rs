//! `[log]` and `[metrics]`: what the server tells its operator, and who may
//! read `/metrics`.

use super::ConfigError;
use super::source::Sources;

pub(super) const LOG_KEYS: &[&str] = &["level", "format"];
pub(super) const METRICS_KEYS: &[&str] = &["token_file"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line, for log collectors; the same fields.
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    /// A level or a filter such as "agora=debug,info" (`RUST_LOG` syntax).
    pub level: String,
    pub format: LogFormat,
}

/// Who may read `/metrics`: anyone who reaches the server, or only a caller
/// with the bearer token.
#[derive(Clone, Default)]
pub struct MetricsConfig {
    pub token: Option<String>,
}

impl std::fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .finish()
    }
}

pub(super) fn parse_log(s: &mut Sources) -> Result<LogConfig, ConfigError> {
    let level = s.parse("log", "level", "info", |v| {
        const LEVELS: [&str; 6] = ["error", "warn", "info", "debug", "trace", "off"];
        // A bare word would be taken as a target name and silence everything else.
        let bare_ok = v
            .split(',')
            .filter(|d| !d.contains('='))
            .all(|d| LEVELS.contains(&d.trim()));
        bare_ok
            .then_some(())
            .and_then(|()| tracing_subscriber::EnvFilter::try_new(v).ok())
            .map(|_| v.to_owned())
            .ok_or_else(|| {
                "put a level (error, warn, info, debug, trace) or a filter such as \"agora=debug,info\"".to_owned()
            })
    })?;
    let format = s.parse("log", "format", "text", |v| match v {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("put \"text\" or \"json\"".to_owned()),
    })?;
    Ok(LogConfig { level, format })
}

pub(super) fn parse_metrics(s: &mut Sources) -> Result<MetricsConfig, ConfigError> {
    let file = s.parse("metrics", "token_file", "", |v| Ok(v.to_owned()))?;
    if file.is_empty() {
        return Ok(MetricsConfig::default());
    }
    let token = std::fs::read_to_string(&file).map_err(|e| {
        ConfigError::new(format!(
            "metrics.token_file: cannot read {file}: {e}; point it at the file holding the token scrapers send"
        ))
    })?;
    let token = token.trim().to_owned();
    if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::new(
            "metrics.token_file: the token must be at least 16 visible characters (no spaces); use a long random value",
        ));
    }
    Ok(MetricsConfig { token: Some(token) })
}

impl LogConfig {
    pub(super) fn describe(&self) -> String {
        format!(
            "[log]\nlevel = \"{}\"\nformat = \"{}\"\n",
            self.level,
            self.format.as_str()
        )
    }
}

impl MetricsConfig {
    pub(super) fn describe(&self) -> String {
        format!(
            "\n[metrics]\ntoken_file = {}\n",
            if self.token.is_some() {
                "\"…\"  # set: /metrics needs the bearer token"
            } else {
                "\"\"  # /metrics is open"
            }
        )
    }
}
