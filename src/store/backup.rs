//! Online backup and offline restore of the whole database.
//!
//! A snapshot copies every tree while the write gate is held alone (writes
//! pause for that long, reads go on); the copy is then written out without
//! holding anything. The file:
//!
//! ```text
//! AGORA BACKUP 1\n
//! {"schema_version":1,"key_check":"…","created_at":"…",…}\n   the header, JSON
//! gzip( per tree: u32 name length, name, u64 entries,
//!       per entry: u32 key length, key, u32 value length, value )
//! 32 bytes: SHA-256 of everything before
//! ```
//!
//! The header carries the schema version and the master key's check value
//! (never the key), so a restore refuses a newer schema or another key
//! before it writes anything.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{SCHEMA_VERSION, Store, StoreError};
use crate::clock::Timestamp;

mod restore;

pub use restore::{Backup, RestoreReport, restore};

const MAGIC: &[u8] = b"AGORA BACKUP 1\n";
/// The longest header line read (it is a few hundred bytes).
const MAX_HEADER: usize = 64 * 1024;
/// The longest tree name, key and value read back (sled's own bound is far
/// larger; Agora's records are kilobytes).
const MAX_FIELD: u32 = 64 * 1024 * 1024;

/// What a backup file says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackupHeader {
    pub schema_version: u32,
    /// Hex of the master key's check value.
    pub key_check: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub agora_version: String,
    pub trees: usize,
    pub entries: u64,
}

/// Every tree's entries, copied at one instant.
pub struct Snapshot {
    trees: Vec<(sled::IVec, Vec<(sled::IVec, sled::IVec)>)>,
    /// How long writes were held back.
    pub pause: Duration,
    pub entries: u64,
    key_check: String,
}

/// What writing a backup file did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub bytes: u64,
    pub entries: u64,
    pub trees: usize,
    pub pause: Duration,
    pub total: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path} is not an Agora backup (it does not start with the backup header)")]
    NotBackup { path: String },
    #[error(
        "{path} is damaged: its checksum does not match its contents (the file is truncated or was altered); nothing was restored"
    )]
    Damaged { path: String },
    #[error(
        "the backup's contents do not read although its checksum matches: it was not written by Agora; nothing was restored"
    )]
    Malformed,
    #[error(
        "{path} was written by a newer Agora (database schema {found}; this one reads up to {SCHEMA_VERSION}); restore it with that version or later"
    )]
    TooNew { path: String, found: u32 },
    #[error(
        "{path} was made with another master key than the one in {key_file}; point security.master_key_file at the key of the backed-up server"
    )]
    KeyMismatch { path: String, key_file: String },
    #[error(
        "{dir} is not empty; restore into a new or empty directory (nothing was changed there)"
    )]
    NotEmpty { dir: String },
}

impl Store {
    /// Copies every tree while writes are held back. The copies share the
    /// stored bytes (sled's values are reference-counted), so the pause
    /// costs a walk over the keys, not a copy of the data.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let key_check = self
            .meta
            .get("key_check")?
            .map(hex::encode)
            .unwrap_or_default();
        let gate = self.gate.write().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        let mut trees = Vec::new();
        for name in self.db.tree_names() {
            trees.push((name.clone(), self.db.open_tree(&name)?));
        }
        // The trees are copied on every core at once, each thread taking the
        // next tree left, so the pause lasts about the copy of a core's share.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let left = std::sync::Mutex::new(trees);
        let copied: Vec<Result<Vec<_>, StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..cores)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let next = left.lock().unwrap_or_else(|e| e.into_inner()).pop();
                            let Some((name, tree)) = next else {
                                return Ok(out);
                            };
                            let mut all = Vec::new();
                            for kv in tree.iter() {
                                all.push(kv?);
                            }
                            out.push((name, all));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StoreError::Corrupt("a snapshot thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut trees = Vec::new();
        for share in copied {
            trees.extend(share?);
        }
        trees.sort_by(|a, b| a.0.cmp(&b.0));
        let entries = trees.iter().map(|(_, all)| all.len() as u64).sum();
        let pause = started.elapsed();
        drop(gate);
        Ok(Snapshot {
            trees,
            pause,
            entries,
            key_check,
        })
    }
}

impl Snapshot {
    pub fn trees(&self) -> usize {
        self.trees.len()
    }

    pub fn header(&self, now: Timestamp) -> BackupHeader {
        BackupHeader {
            schema_version: SCHEMA_VERSION,
            key_check: self.key_check.clone(),
            created_at: now.rfc3339(),
            agora_version: env!("CARGO_PKG_VERSION").to_owned(),
            trees: self.trees.len(),
            entries: self.entries,
        }
    }

    /// Writes the backup file's bytes to `out`; returns how many.
    pub fn write_to(&self, now: Timestamp, out: impl Write) -> std::io::Result<u64> {
        let mut out = Hashed::new(out);
        out.write_all(MAGIC)?;
        let header = serde_json::to_vec(&self.header(now)).map_err(std::io::Error::other)?;
        out.write_all(&header)?;
        out.write_all(b"\n")?;
        let mut z = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
        for (name, entries) in &self.trees {
            field(&mut z, name)?;
            z.write_all(&(entries.len() as u64).to_be_bytes())?;
            for (k, v) in entries {
                field(&mut z, k)?;
                field(&mut z, v)?;
            }
        }
        z.finish()?;
        let digest = out.hasher.clone().finalize();
        out.inner.write_all(&digest)?;
        out.inner.flush()?;
        Ok(out.written + digest.len() as u64)
    }

    /// Writes the backup to `path` (through a temporary file beside it,
    /// synced, then renamed: a crash leaves no half file under the name).
    pub fn write_file(&self, now: Timestamp, path: &Path) -> Result<u64, BackupError> {
        let tmp = path.with_extension("partial");
        let file = private_file(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        let bytes = self.write_to(now, &mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent()
            && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
        {
            let _ = d.sync_all();
        }
        Ok(bytes)
    }
}

/// A new file only its owner can read: a backup holds every record (the
/// sealed secrets stay sealed, but emails, hashes and history are there).
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An older file of that name keeps its mode through `truncate`.
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

fn field(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&(bytes.len() as u32).to_be_bytes())?;
    out.write_all(bytes)
}

/// A writer that hashes what passes through it.
struct Hashed<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Hashed<W> {
    fn new(inner: W) -> Self {
        Hashed {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }
}

impl<W: Write> Write for Hashed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::master_key::MasterKey;

    fn store(dir: &Path) -> (Store, MasterKey) {
        let key = MasterKey::from_bytes([3; 32]);
        (
            Store::open(&dir.join("db"), &key, Path::new("k")).unwrap(),
            key,
        )
    }

    /// A file whose header says `schema` (re-checksummed, as a newer
    /// Agora would write it).
    fn with_schema(bytes: &[u8], schema: u32) -> Vec<u8> {
        let rest = &bytes[MAGIC.len()..bytes.len() - 32];
        let end = rest.iter().position(|&b| b == b'\n').unwrap();
        let mut header: BackupHeader = serde_json::from_slice(&rest[..end]).unwrap();
        header.schema_version = schema;
        let mut out = MAGIC.to_vec();
        out.extend(serde_json::to_vec(&header).unwrap());
        out.extend_from_slice(&rest[end..]);
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// A file that checksums but claims endless entries and huge fields is
    /// refused as damaged, without taking the memory it claims.
    #[test]
    fn lying_counts_and_lengths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (s, key) = store(dir.path());
        let mut good = Vec::new();
        s.snapshot()
            .unwrap()
            .write_to(Timestamp::from_millis(1), &mut good)
            .unwrap();
        let rest = &good[MAGIC.len()..];
        let header_end = rest.iter().position(|&b| b == b'\n').unwrap();
        for body in [
            // A tree of u64::MAX entries, then nothing.
            [&4u32.to_be_bytes()[..], b"meta", &u64::MAX.to_be_bytes()].concat(),
            // An entry whose key says 4 GiB.
            [
                &4u32.to_be_bytes()[..],
                b"meta",
                &1u64.to_be_bytes(),
                &u32::MAX.to_be_bytes(),
            ]
            .concat(),
        ] {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&body).unwrap();
            let mut file = MAGIC.to_vec();
            file.extend_from_slice(&rest[..=header_end]);
            file.extend(z.finish().unwrap());
            let digest = Sha256::digest(&file);
            file.extend_from_slice(&digest);
            let b = Backup::parse(file, "f").unwrap();
            let target = dir.path().join(format!("t{}", body.len()));
            let err = restore(&b, &target, &key, "f", Path::new("k")).unwrap_err();
            assert!(matches!(err, BackupError::Malformed), "{err}");
            assert!(!target.exists(), "nothing half-restored is left");
        }
    }

    #[test]
    fn a_backup_restores_every_tree_and_refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let (s, key) = store(dir.path());
        s.meta.insert("probe", &b"value"[..]).unwrap();
        let snap = s.snapshot().unwrap();
        let mut bytes = Vec::new();
        let n = snap
            .write_to(Timestamp::from_millis(5_000), &mut bytes)
            .unwrap();
        assert_eq!(n, bytes.len() as u64);

        let newer = Backup::parse(with_schema(&bytes, SCHEMA_VERSION + 1), "f").unwrap();
        let err = restore(&newer, &dir.path().join("a"), &key, "f", Path::new("k")).unwrap_err();
        assert!(matches!(err, BackupError::TooNew { .. }), "{err}");
        assert!(err.to_string().contains("newer Agora"), "{err}");
        assert!(!dir.path().join("a").exists());

        let backup = Backup::parse(bytes, "f").unwrap();
        assert_eq!(backup.header.entries, snap.entries);
        let report = restore(&backup, &dir.path().join("b"), &key, "f", Path::new("k")).unwrap();
        assert_eq!(report.entries, snap.entries);
        drop(s);
        let again = Store::open(&dir.path().join("b"), &key, Path::new("k")).unwrap();
        assert_eq!(again.meta.get("probe").unwrap().unwrap(), &b"value"[..]);
    }
}
