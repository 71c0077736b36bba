//! `[backup]`: where the running server writes its backups, how often, and
//! how many it keeps.

use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;
use super::source::Sources;

pub(super) const KEYS: &[&str] = &["dir", "interval", "keep"];

#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// Directory of the backup files (made when first needed).
    pub dir: PathBuf,
    /// How often a backup is taken on schedule; `None`: only on request.
    pub interval: Option<Duration>,
    /// Scheduled and page-made backups kept in `dir`; older ones are removed.
    pub keep: usize,
}

pub(super) fn parse(s: &mut Sources) -> Result<BackupConfig, ConfigError> {
    let dir = s.parse("backup", "dir", "backups", |v| {
        if v.trim().is_empty() {
            Err("put a directory".to_owned())
        } else {
            Ok(PathBuf::from(v))
        }
    })?;
    let interval = s.parse("backup", "interval", "1d", |v| {
        if v.trim() == "0" || v.trim() == "off" {
            return Ok(None);
        }
        let d = super::duration::parse_duration(v).map_err(|why| {
            format!("{why}; put a duration such as \"12h\" or \"1d\", or \"off\"")
        })?;
        if d < Duration::from_secs(60) || d.subsec_nanos() != 0 {
            return Err("put whole seconds, a minute or more (or \"off\")".to_owned());
        }
        Ok(Some(d))
    })?;
    let keep = s.int("backup", "keep", 7, 1, 1000)?;
    Ok(BackupConfig {
        dir,
        interval,
        keep,
    })
}

impl BackupConfig {
    pub(super) fn describe(&self) -> String {
        format!(
            "\n[backup]\ndir = \"{}\"\ninterval = \"{}\"\nkeep = {}\n",
            self.dir.display(),
            self.interval
                .map_or("off".to_owned(), super::duration::format_duration),
            self.keep
        )
    }
}
