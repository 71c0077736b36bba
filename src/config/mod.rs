//! Settings: built-in defaults, then `config.toml`, then `AGORA_<SECTION>__<KEY>`
//! environment variables. Every value is checked at start; an error names the key,
//! where the value came from, and what to put there.

mod backup;
mod dataplanes;
mod duration;
mod gateway;
mod observability;
mod smtp;
mod source;
mod usage;
mod values;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use backup::BackupConfig;
pub use dataplanes::{
    DataPlaneConfig, DataPlaneKind, EMBEDDED_DATAPLANE, SigningSecret, WebhookConfig,
};
pub use duration::{format_duration, parse_duration};
pub use gateway::{GatewayConfig, ProxyKind};
pub use observability::{LogConfig, LogFormat, MetricsConfig};
pub use smtp::{SmtpConfig, SmtpPassword, SmtpTls, is_address};
use source::{Origin, Sources};
pub use usage::UsageConfig;
use values::{default_hash_concurrency, leak_secret, parse_reminder_days, whole_seconds};

#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub security: SecurityConfig,
    pub log: LogConfig,
    pub jobs: JobsConfig,
    pub provisioning: ProvisioningConfig,
    pub gateway: GatewayConfig,
    pub expiry: ExpiryConfig,
    /// Email; `None` when no SMTP host is set.
    pub smtp: Option<SmtpConfig>,
    pub webhooks: WebhooksConfig,
    pub usage: UsageConfig,
    pub backup: BackupConfig,
    pub metrics: MetricsConfig,
    /// `embedded` first, then the configured ones by name.
    pub dataplanes: Vec<DataPlaneConfig>,
}

/// How provisioning tasks are retried.
#[derive(Debug, Clone)]
pub struct ProvisioningConfig {
    /// How often the scheduler looks for due tasks (whole seconds).
    pub interval: Duration,
    /// The first retry waits up to this long; each further one up to twice as long...
    pub retry_base: Duration,
    /// ...but never more than this.
    pub retry_cap: Duration,
    /// Attempts before a task is given up as failed.
    pub max_attempts: u32,
}

/// Event webhooks: where calls may go.
#[derive(Debug, Clone)]
pub struct WebhooksConfig {
    /// Let endpoints be on this machine or a private network (loopback,
    /// private, link-local addresses, and plain http to this machine).
    pub allow_private_targets: bool,
}

/// Credential lifetimes: when expiry is checked, and the reminders before it.
#[derive(Debug, Clone)]
pub struct ExpiryConfig {
    /// How often due expiries and reminders are looked for (whole seconds).
    /// The gateway refuses an expired credential from its instant on anyway.
    pub check_interval: Duration,
    /// Days before expiry when the team hears of it, largest first.
    pub reminder_days: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// How often ended sessions and expired invitations are removed.
    pub sweep_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The address people use to reach Agora, for links in invitations;
    /// `None`: http:// and the address the server is bound to.
    pub public_url: Option<String>,
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// How many proxies you run in front: the client address is this many
    /// entries from the right of `X-Forwarded-For`.
    pub forwarded_hops: u32,
    pub body_limit: usize,
    /// How long a client may take to send a request's head and body.
    pub body_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct SecurityConfig {
    pub master_key_file: PathBuf,
    pub session_idle_timeout: Duration,
    pub session_lifetime: Duration,
    pub invitation_ttl: Duration,
    pub password_hash_concurrency: usize,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub login_throttle_window: Duration,
    /// Signs the reports of `POST /security/leaked-keys`; `None`: not taken.
    pub leaked_keys_secret: Option<SigningSecret>,
}

/// One problem with the settings, worded for the person who has to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl Config {
    /// The settings of a data plane by name.
    pub fn dataplane(&self, name: &str) -> Option<&DataPlaneConfig> {
        self.dataplanes.iter().find(|d| d.name == name)
    }

    /// The data planes a resource can be hosted on.
    pub fn dataplane_names(&self) -> Vec<String> {
        self.dataplanes.iter().map(|d| d.name.clone()).collect()
    }
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    fn at(key: &str, origin: &Origin, problem: impl fmt::Display) -> Self {
        Self(format!("{key} (from {origin}): {problem}"))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Known sections and their keys: anything else is refused, so a typo never
/// silently falls back to a default.
const SCHEMA: &[(&str, &[&str])] = &[
    (
        "server",
        &[
            "bind",
            "public_url",
            "secure_cookies",
            "trust_forwarded_for",
            "forwarded_hops",
            "body_limit",
            "body_timeout",
        ],
    ),
    ("storage", &["path"]),
    (
        "security",
        &[
            "master_key_file",
            "session_idle_timeout",
            "session_lifetime",
            "invitation_ttl",
            "password_hash_concurrency",
            "login_max_failures_per_account",
            "login_max_failures_per_address",
            "login_throttle_window",
            "leaked_keys_secret_file",
            "leaked_keys_secret_env",
        ],
    ),
    ("log", observability::LOG_KEYS),
    ("metrics", observability::METRICS_KEYS),
    ("jobs", &["sweep_interval"]),
    (
        "provisioning",
        &["interval", "retry_base", "retry_cap", "max_attempts"],
    ),
    ("gateway", &["token_ttl", "proxy", "resource_header"]),
    ("expiry", &["check_interval", "reminder_days"]),
    ("smtp", smtp::KEYS),
    ("webhooks", &["allow_private_targets"]),
    ("backup", backup::KEYS),
    ("usage", usage::KEYS),
];

impl Config {
    /// Loads settings. `file`: an explicit path must exist; without one,
    /// `./config.toml` is read when present.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut sources = Sources::new(SCHEMA);
        match file {
            Some(path) => sources.read_file(path)?,
            None => {
                let default = Path::new("config.toml");
                if default.exists() {
                    sources.read_file(default)?;
                }
            }
        }
        sources.read_env(env)?;
        Self::from_sources(&mut sources)
    }

    /// Settings from a TOML text and environment pairs (used by tests).
    pub fn from_toml(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut sources = Sources::new(SCHEMA);
        sources.read_text(text, "the given settings")?;
        sources.read_env(env)?;
        Self::from_sources(&mut sources)
    }

    fn from_sources(s: &mut Sources) -> Result<Self, ConfigError> {
        let bind = s.parse("server", "bind", "127.0.0.1:8080", |v| {
            v.parse::<SocketAddr>()
                .map_err(|_| "put an address and port there, e.g. \"127.0.0.1:8080\"".to_owned())
        })?;
        let public_url = s.parse("server", "public_url", "", |v| {
            let v = v.trim_end_matches('/');
            if v.is_empty() || v.starts_with("http://") || v.starts_with("https://") {
                Ok(v.to_owned())
            } else {
                Err("put the URL people open, starting with http:// or https://".to_owned())
            }
        })?;
        let public_url = Some(public_url).filter(|u| !u.is_empty());
        let server = ServerConfig {
            bind,
            public_url,
            secure_cookies: s.bool("server", "secure_cookies", false)?,
            trust_forwarded_for: s.bool("server", "trust_forwarded_for", false)?,
            forwarded_hops: s.int("server", "forwarded_hops", 1, 1, 10)?,
            body_timeout: s.duration("server", "body_timeout", "10s", true)?,
            // 1.25 MiB: the largest form within its fields' own limits (a
            // resource's 20 request fields of 50 options each, every
            // character four bytes and percent-encoded) is about 1.07 MB.
            body_limit: s.int("server", "body_limit", 1_310_720, 1_024, 16 << 20)?,
        };
        let storage = StorageConfig {
            path: s.parse("storage", "path", "data", non_empty_path)?,
        };
        let security = SecurityConfig {
            master_key_file: s.parse("security", "master_key_file", "agora.key", non_empty_path)?,
            session_idle_timeout: s.duration("security", "session_idle_timeout", "2h", true)?,
            session_lifetime: s.duration("security", "session_lifetime", "7d", true)?,
            invitation_ttl: s.duration("security", "invitation_ttl", "3d", true)?,
            password_hash_concurrency: s.int(
                "security",
                "password_hash_concurrency",
                default_hash_concurrency(),
                1,
                64,
            )?,
            login_max_failures_per_account: s.int(
                "security",
                "login_max_failures_per_account",
                5,
                1,
                1_000,
            )?,
            login_max_failures_per_address: s.int(
                "security",
                "login_max_failures_per_address",
                20,
                1,
                100_000,
            )?,
            login_throttle_window: s.duration("security", "login_throttle_window", "15m", true)?,
            leaked_keys_secret: leak_secret(
                &s.parse("security", "leaked_keys_secret_file", "", |v| {
                    Ok(v.trim().to_owned())
                })?,
                &s.parse("security", "leaked_keys_secret_env", "", |v| {
                    Ok(v.trim().to_owned())
                })?,
            )?,
        };
        let log = observability::parse_log(s)?;
        let jobs = JobsConfig {
            sweep_interval: s.duration("jobs", "sweep_interval", "10m", true)?,
        };
        let provisioning = ProvisioningConfig {
            interval: s.parse("provisioning", "interval", "2s", whole_seconds)?,
            retry_base: s.duration("provisioning", "retry_base", "2s", true)?,
            retry_cap: s.duration("provisioning", "retry_cap", "10m", true)?,
            max_attempts: s.int("provisioning", "max_attempts", 8, 1, 100)?,
        };
        if provisioning.retry_cap < provisioning.retry_base {
            return Err(ConfigError::new(
                "provisioning.retry_cap is shorter than provisioning.retry_base: the cap must be at least the base",
            ));
        }
        let gateway = GatewayConfig {
            token_ttl: s.duration("gateway", "token_ttl", "1h", true)?,
            proxy: s.parse("gateway", "proxy", "nginx", ProxyKind::parse)?,
            resource_header: s.bool("gateway", "resource_header", false)?,
        };
        let expiry = ExpiryConfig {
            check_interval: s.parse("expiry", "check_interval", "30s", whole_seconds)?,
            reminder_days: s.parse(
                "expiry",
                "reminder_days",
                "30, 14, 7, 3, 1",
                parse_reminder_days,
            )?,
        };
        let smtp = smtp::parse(s)?;
        let webhooks = WebhooksConfig {
            allow_private_targets: s.bool("webhooks", "allow_private_targets", false)?,
        };
        let backup = backup::parse(s)?;
        let metrics = observability::parse_metrics(s)?;
        let dataplanes = dataplanes::parse(std::mem::take(&mut s.dataplanes))?;
        let usage = usage::parse(s)?;
        Ok(Config {
            server,
            storage,
            security,
            log,
            jobs,
            provisioning,
            gateway,
            expiry,
            smtp,
            webhooks,
            usage,
            backup,
            metrics,
            dataplanes,
        })
    }

    /// The effective settings as TOML, for `agora check-config`. Secret values
    /// (none are held inline today; key material lives in files) would be masked here.
    pub fn describe(&self) -> String {
        let d = format_duration;
        format!(
            "[server]\nbind = \"{}\"\npublic_url = \"{}\"\nsecure_cookies = {}\ntrust_forwarded_for = {}\nforwarded_hops = {}\nbody_limit = {}\nbody_timeout = \"{}\"\n\n\
             [storage]\npath = \"{}\"\n\n\
             [security]\nmaster_key_file = \"{}\"  # contents not shown\nsession_idle_timeout = \"{}\"\nsession_lifetime = \"{}\"\ninvitation_ttl = \"{}\"\npassword_hash_concurrency = {}\nlogin_max_failures_per_account = {}\nlogin_max_failures_per_address = {}\nlogin_throttle_window = \"{}\"\n{}\n\
             {}\n\
             [jobs]\nsweep_interval = \"{}\"\n\n\
             [provisioning]\ninterval = \"{}\"\nretry_base = \"{}\"\nretry_cap = \"{}\"\nmax_attempts = {}\n\n\
             [gateway]\ntoken_ttl = \"{}\"\nproxy = \"{}\"\nresource_header = {}\n\n\
             [expiry]\ncheck_interval = \"{}\"\nreminder_days = \"{}\"\n{}",
            self.server.bind,
            self.server.public_url.as_deref().unwrap_or(""),
            self.server.secure_cookies,
            self.server.trust_forwarded_for,
            self.server.forwarded_hops,
            self.server.body_limit,
            d(self.server.body_timeout),
            self.storage.path.display(),
            self.security.master_key_file.display(),
            d(self.security.session_idle_timeout),
            d(self.security.session_lifetime),
            d(self.security.invitation_ttl),
            self.security.password_hash_concurrency,
            self.security.login_max_failures_per_account,
            self.security.login_max_failures_per_address,
            d(self.security.login_throttle_window),
            if self.security.leaked_keys_secret.is_some() {
                "# leaked-key reports: taken (signing secret set, not shown)"
            } else {
                "# leaked-key reports: not taken (no signing secret)"
            },
            self.log.describe(),
            d(self.jobs.sweep_interval),
            d(self.provisioning.interval),
            d(self.provisioning.retry_base),
            d(self.provisioning.retry_cap),
            self.provisioning.max_attempts,
            d(self.gateway.token_ttl),
            self.gateway.proxy.as_str(),
            self.gateway.resource_header,
            d(self.expiry.check_interval),
            self.expiry
                .reminder_days
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            self.dataplanes
                .iter()
                .map(|p| format!(
                    "\n[dataplanes.{}]\nkind = \"{}\"\nview_window = \"{}\"\nmax_renew_grace = \"{}\"\n{}",
                    p.name,
                    p.kind,
                    d(p.view_window),
                    d(p.max_renew_grace),
                    p.webhook.as_ref().map_or(String::new(), |w| format!(
                        "url = \"{}\"\n# signing secret: not shown\ntimeout = \"{}\"\nsuspend = {}\nrenew = {}\ngenerates_secrets = {}\nallow_private_targets = {}\n",
                        w.url, d(w.timeout), w.suspend, w.renew, w.generates_secrets, w.allow_private_targets
                    ))
                ))
                .collect::<String>(),
        ) + &self.describe_smtp()
            + &self.backup.describe()
            + &self.usage.describe()
            + &self.metrics.describe()
    }

    fn describe_smtp(&self) -> String {
        format!(
            "\n[webhooks]\nallow_private_targets = {}\n",
            self.webhooks.allow_private_targets
        ) + &match &self.smtp {
            None => "\n[smtp]\nhost = \"\"  # email is off\n".to_owned(),
            Some(m) => format!(
                "\n[smtp]\nhost = \"{}\"\nport = {}\ntls = \"{}\"\nuser = \"{}\"\n{}from = \"{}\"\ntimeout = \"{}\"\n",
                m.host,
                m.port,
                m.tls.as_str(),
                m.user.as_deref().unwrap_or(""),
                if m.password.is_some() {
                    "# password: set, not shown\n"
                } else {
                    ""
                },
                m.from,
                format_duration(m.timeout)
            ),
        }
    }
}

fn non_empty_path(v: &str) -> Result<PathBuf, String> {
    if v.trim().is_empty() {
        Err("put a file system path there".to_owned())
    } else {
        Ok(PathBuf::from(v))
    }
}

#[cfg(test)]
mod tests;
