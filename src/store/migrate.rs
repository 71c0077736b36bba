//! Migrations: the steps that change stored records when their shape must
//! change beyond what `#[serde(default)]` absorbs. Steps run at start in
//! their order, each once: a step's id is recorded in the meta tree when it
//! has run, and the schema version moves to the step's. A step must be
//! idempotent (a crash after its writes and before its record runs it
//! again). Before the first pending step runs, a backup of the database as
//! it was is written.
//!
//! Schema 1 is the first layout. A change adds a step here:
//!
//! ```text
//! Migration { id: "0003-credential-owner-index", schema: 3, run: |s| { … } }
//! ```
//!
//! and bumps `SCHEMA_VERSION` to its schema. A new database is created at
//! the newest layout, with every step recorded as done.

use std::path::PathBuf;

use super::{SCHEMA_VERSION, Store, StoreError};
use crate::clock::Timestamp;

/// One ordered step.
pub struct Migration {
    /// Recorded in the meta tree as `migration:<id>` once run.
    pub id: &'static str,
    /// The schema version the database has after this step.
    pub schema: u32,
    pub run: fn(&Store) -> Result<(), StoreError>,
}

/// The steps, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
    // From schema 2 an audit value may hold the list of a transaction's
    // records (see `store::audit`). Single records read as before, so
    // nothing is rewritten; the version keeps an older Agora, which cannot
    // read the lists, from opening the database.
    id: "0002-audit-record-lists",
    schema: 2,
    run: |_| Ok(()),
}];

/// What a start's migration did.
#[derive(Debug, Default, PartialEq)]
pub struct Migrated {
    /// Steps run, in order.
    pub ran: Vec<&'static str>,
    /// The backup taken before them.
    pub backup: Option<PathBuf>,
}

impl Store {
    /// Runs the pending steps of [`MIGRATIONS`], with a backup first into
    /// `backup_dir`.
    pub fn migrate(
        &self,
        backup_dir: &std::path::Path,
        now: Timestamp,
    ) -> Result<Migrated, StoreError> {
        self.migrate_with(MIGRATIONS, backup_dir, now)
    }

    pub fn migrate_with(
        &self,
        steps: &[Migration],
        backup_dir: &std::path::Path,
        now: Timestamp,
    ) -> Result<Migrated, StoreError> {
        let mut done = Migrated::default();
        let pending: Vec<&Migration> = steps
            .iter()
            .filter(|m| !matches!(self.meta.get(record(m.id)), Ok(Some(_))))
            .collect();
        if pending.is_empty() {
            return Ok(done);
        }
        std::fs::create_dir_all(backup_dir).map_err(|e| {
            StoreError::Corrupt(format!("cannot make {}: {e}", backup_dir.display()))
        })?;
        let digits: String = now
            .rfc3339()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let path = backup_dir.join(format!("before-migration-{digits}.backup"));
        self.snapshot()?
            .write_file(now, &path)
            .map_err(|e| StoreError::Corrupt(format!("the backup before migrating failed: {e}")))?;
        done.backup = Some(path);
        for m in pending {
            debug_assert!(
                m.schema <= SCHEMA_VERSION,
                "a step beyond this code's schema"
            );
            tracing::info!(step = m.id, "migrating the database");
            (m.run)(self)?;
            let _writing = self.writing();
            self.meta.insert(record(m.id), now.rfc3339().as_bytes())?;
            let schema = m.schema.max(self.schema_version()?);
            self.meta.insert("schema_version", &schema.to_be_bytes())?;
            drop(_writing);
            self.flush_blocking()?;
            done.ran.push(m.id);
        }
        Ok(done)
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .meta
            .get("schema_version")?
            .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
            .map_or(0, u32::from_be_bytes))
    }
}

pub(super) fn record(id: &str) -> String {
    format!("migration:{id}")
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::crypto::master_key::MasterKey;

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    fn first(s: &Store) -> Result<(), StoreError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        // Idempotent: writes what it writes, whatever ran before.
        s.meta.insert("shape", &b"a"[..])?;
        Ok(())
    }

    fn second(s: &Store) -> Result<(), StoreError> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        match s.meta.get("shape")?.as_deref() {
            Some(b"a") => {
                s.meta.insert("shape", &b"b"[..])?;
                Ok(())
            }
            other => Err(StoreError::Corrupt(format!(
                "the first step did not run: {other:?}"
            ))),
        }
    }

    fn broken(_: &Store) -> Result<(), StoreError> {
        Err(StoreError::Corrupt("this step fails".into()))
    }

    const STEPS: &[Migration] = &[
        Migration {
            id: "0002-first",
            schema: 1,
            run: first,
        },
        Migration {
            id: "0003-second",
            schema: 1,
            run: second,
        },
    ];

    #[test]
    fn steps_run_in_order_once_with_a_backup_before_them() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::from_bytes([4; 32]);
        let store = Store::open(&dir.path().join("db"), &key, Path::new("k")).unwrap();
        let backups = dir.path().join("backups");
        let now = Timestamp::from_millis(1_000_000);
        let done = store.migrate_with(STEPS, &backups, now).unwrap();
        assert_eq!(done.ran, ["0002-first", "0003-second"]);
        let backup = done.backup.unwrap();
        let b = crate::store::backup::Backup::read(&backup).unwrap();
        assert_eq!(b.header.schema_version, SCHEMA_VERSION);
        assert_eq!(store.meta.get("shape").unwrap().unwrap(), &b"b"[..]);
        assert_eq!(RUNS.load(Ordering::SeqCst), 2);

        // Next start: nothing pending, no backup.
        let again = store.migrate_with(STEPS, &backups, now).unwrap();
        assert_eq!(again, Migrated::default());
        assert_eq!(RUNS.load(Ordering::SeqCst), 2);
        assert_eq!(std::fs::read_dir(&backups).unwrap().count(), 1);

        // A failing step stops the start; the ones before it stay recorded.
        let with_broken = [Migration {
            id: "0004-broken",
            schema: 1,
            run: broken,
        }];
        let err = store
            .migrate_with(
                &with_broken,
                &backups,
                now.plus(std::time::Duration::from_secs(1)),
            )
            .unwrap_err();
        assert!(err.to_string().contains("this step fails"), "{err}");
        assert!(store.meta.get("migration:0003-second").unwrap().is_some());
        assert!(store.meta.get("migration:0004-broken").unwrap().is_none());
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_new_database_has_no_step_pending_and_a_schema_1_one_moves_to_2() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::from_bytes([5; 32]);
        let store = Store::open(&dir.path().join("db"), &key, Path::new("k")).unwrap();
        let now = Timestamp::from_millis(1_000_000);
        let backups = dir.path().join("backups");
        assert_eq!(store.migrate(&backups, now).unwrap(), Migrated::default());
        assert_eq!(store.schema_version().unwrap(), 2);

        // As a database written before schema 2 looks.
        store
            .meta
            .insert("schema_version", &1u32.to_be_bytes())
            .unwrap();
        store
            .meta
            .remove(record("0002-audit-record-lists"))
            .unwrap();
        let done = store.migrate(&backups, now).unwrap();
        assert_eq!(done.ran, ["0002-audit-record-lists"]);
        assert!(done.backup.is_some());
        assert_eq!(store.schema_version().unwrap(), 2);
    }
}
