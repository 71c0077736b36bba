//! Backups of the running server: into `[backup] dir` (on schedule, or by
//! the platform admin in the pages) or as a download (`agora backup`,
//! through the API). One at a time; each is audited, and the last good one
//! is remembered for `/metrics`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use super::{AppState, OpError};
use crate::clock::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{AuditId, UserId};
use crate::store::backup::{BackupReport, Snapshot};

/// The name every backup file in the directory has: `agora-<UTC time>.backup`.
const PREFIX: &str = "agora-";
const SUFFIX: &str = ".backup";

#[derive(Default)]
pub struct Backups {
    running: tokio::sync::Mutex<()>,
    /// When the last backup was written (ms since the epoch; 0: none yet).
    last_ok: AtomicI64,
}

impl Backups {
    /// When the last backup of this process was written.
    pub fn last(&self) -> Option<Timestamp> {
        match self.last_ok.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Timestamp::from_millis(ms)),
        }
    }
}

/// A backup written into the directory.
#[derive(Debug, Clone)]
pub struct Made {
    pub path: PathBuf,
    pub report: BackupReport,
}

/// A backup file in the directory, newest first in [`list`].
#[derive(Debug, Clone)]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
}

/// Takes a backup into `[backup] dir` and removes the oldest beyond `keep`.
pub async fn back_up(state: &AppState, by: Option<UserId>) -> Result<Made, OpError> {
    let dir = state.config.backup.dir.clone();
    let keep = state.config.backup.keep;
    let now = state.clock.now();
    let path = dir.join(file_name(now));
    let target = path.clone();
    let to = path.display().to_string();
    // Before the snapshot: a directory that cannot be made costs no pause.
    make_private_dir(&dir)?;
    let ((), report) = take(state, by, now, &to, move |snap| {
        let bytes = snap
            .write_file(now, &target)
            .map_err(|e| OpError::Refused(format!("The backup could not be written: {e}")))?;
        prune(&dir, keep);
        Ok(((), bytes))
    })
    .await?;
    Ok(Made { path, report })
}

/// A fresh backup as bytes, for a download.
pub async fn back_up_bytes(
    state: &AppState,
    by: Option<UserId>,
) -> Result<(Vec<u8>, BackupReport), OpError> {
    let now = state.clock.now();
    take(state, by, now, "a download", move |snap| {
        let mut out = Vec::new();
        let bytes = snap.write_to(now, &mut out).map_err(OpError::internal)?;
        Ok((out, bytes))
    })
    .await
}

/// One backup at a time: the snapshot and `write` (which answers with what
/// it made and its size) on the blocking pool, then the record of it.
async fn take<T: Send + 'static>(
    state: &AppState,
    by: Option<UserId>,
    now: Timestamp,
    to: &str,
    write: impl FnOnce(&Snapshot) -> Result<(T, u64), OpError> + Send + 'static,
) -> Result<(T, BackupReport), OpError> {
    let _one = state.backups.running.lock().await;
    let store = state.store.clone();
    let started = Instant::now();
    let (made, bytes, pause, entries, trees) = actix_web::rt::task::spawn_blocking(move || {
        let snap = store.snapshot()?;
        let (made, bytes) = write(&snap)?;
        Ok::<_, OpError>((made, bytes, snap.pause, snap.entries, snap.trees()))
    })
    .await
    .map_err(OpError::internal)??;
    let report = BackupReport {
        bytes,
        entries,
        trees,
        pause,
        total: started.elapsed(),
    };
    finished(state, by, now, &report, to).await?;
    Ok((made, report))
}

/// Makes the backup directory, for its user alone, when it is missing.
fn make_private_dir(dir: &Path) -> Result<(), OpError> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        OpError::Refused(format!(
            "The backup directory {} cannot be made: {e}",
            dir.display()
        ))
    })?;
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    Ok(())
}

async fn finished(
    state: &AppState,
    by: Option<UserId>,
    now: Timestamp,
    r: &BackupReport,
    to: &str,
) -> Result<(), OpError> {
    state
        .backups
        .last_ok
        .store(now.as_millis().max(1), Ordering::Relaxed);
    tracing::info!(
        to,
        bytes = r.bytes,
        entries = r.entries,
        pause_ms = r.pause.as_millis() as u64,
        total_ms = r.total.as_millis() as u64,
        "backup written"
    );
    state.store.append_audit(&AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: by,
        team: None,
        action: "backup.created".to_owned(),
        detail: format!(
            "backup to {to}: {} entries, {} bytes; writes paused {}",
            r.entries,
            r.bytes,
            millis(r.pause)
        ),
        subject: None,
    })?;
    state.store.flush().await?;
    Ok(())
}

/// "12.3 ms".
pub fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn file_name(now: Timestamp) -> String {
    // 2026-12-01T17:05:09.123Z → 20261201T170509123Z: sorts by time, no colons.
    let digits: String = now
        .rfc3339()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("{PREFIX}{digits}{SUFFIX}")
}

/// The backups in `[backup] dir`, newest first.
pub fn list(state: &AppState) -> Vec<BackupFile> {
    list_in(&state.config.backup.dir)
}

fn list_in(dir: &Path) -> Vec<BackupFile> {
    let mut files: Vec<BackupFile> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            (name.starts_with(PREFIX) && name.ends_with(SUFFIX)).then_some(BackupFile {
                bytes: e.metadata().ok()?.len(),
                name,
            })
        })
        .collect();
    files.sort_by(|a, b| b.name.cmp(&a.name));
    files
}

fn prune(dir: &Path, keep: usize) {
    for old in list_in(dir).into_iter().skip(keep) {
        if let Err(e) = std::fs::remove_file(dir.join(&old.name)) {
            tracing::warn!(file = old.name, error = %e, "removing an old backup");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_pruning_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for ms in [1_000, 3_000, 2_000] {
            let name = file_name(Timestamp::from_millis(1_764_000_000_000 + ms));
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"kept").unwrap();
        prune(dir.path(), 2);
        let left: Vec<String> = list_in(dir.path()).into_iter().map(|f| f.name).collect();
        let name = |ms: i64| file_name(Timestamp::from_millis(1_764_000_000_000 + ms));
        assert_eq!(left, [name(3_000), name(2_000)]);
        assert!(dir.path().join("notes.txt").exists());
    }
}
