//! Reading a backup file back: its checksum and header first, then its
//! trees as a stream, and restoring them into a new directory.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{BackupError, BackupHeader, MAGIC, MAX_FIELD, MAX_HEADER};
use crate::crypto::master_key::MasterKey;
use crate::store::{KEY_CHECK_FILE, SCHEMA_VERSION, StoreError, write_key_check};

/// A backup file read back and checked: its header and its trees.
pub struct Backup {
    pub header: BackupHeader,
    /// The whole file as read.
    bytes: Vec<u8>,
    /// Where the compressed trees lie in `bytes`.
    body: std::ops::Range<usize>,
}

impl Backup {
    /// Reads `path` and checks its checksum and header; nothing is unpacked
    /// yet.
    pub fn read(path: &Path) -> Result<Self, BackupError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path)?;
        Self::parse(bytes, &shown)
    }

    pub fn parse(bytes: Vec<u8>, shown: &str) -> Result<Self, BackupError> {
        if !bytes.starts_with(MAGIC) {
            return Err(BackupError::NotBackup {
                path: shown.to_owned(),
            });
        }
        let damaged = || BackupError::Damaged {
            path: shown.to_owned(),
        };
        if bytes.len() < MAGIC.len() + 32 {
            return Err(damaged());
        }
        let (content, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(content).as_slice() != digest {
            return Err(damaged());
        }
        let rest = &content[MAGIC.len()..];
        let end = rest
            .iter()
            .take(MAX_HEADER)
            .position(|&b| b == b'\n')
            .ok_or_else(damaged)?;
        let header: BackupHeader = serde_json::from_slice(&rest[..end]).map_err(|_| damaged())?;
        let body = MAGIC.len() + end + 1..content.len();
        Ok(Backup {
            header,
            bytes,
            body,
        })
    }

    /// The file's bytes, as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Refuses a backup this Agora cannot restore with `key`.
    pub fn check(&self, key: &MasterKey, shown: &str, key_file: &Path) -> Result<(), BackupError> {
        if self.header.schema_version > SCHEMA_VERSION {
            return Err(BackupError::TooNew {
                path: shown.to_owned(),
                found: self.header.schema_version,
            });
        }
        if self.header.key_check != hex::encode(key.check_value()) {
            return Err(BackupError::KeyMismatch {
                path: shown.to_owned(),
                key_file: key_file.display().to_string(),
            });
        }
        Ok(())
    }

    /// Calls `each` with every tree's name and its entries, in the file's
    /// order, at most [`CHUNK`] entries at a time: the body is read as a
    /// stream, so memory stays bounded whatever the file claims.
    pub fn trees(
        &self,
        mut each: impl FnMut(&[u8], Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        let mut z =
            std::io::BufReader::new(flate2::read::GzDecoder::new(&self.bytes[self.body.clone()]));
        let bad = || BackupError::Malformed;
        loop {
            // The end of the body comes where a tree's name would start.
            if std::io::BufRead::fill_buf(&mut z)
                .map_err(|_| bad())?
                .is_empty()
            {
                return Ok(());
            }
            let name = read_field(&mut z).ok_or_else(bad)?;
            let mut n = [0u8; 8];
            z.read_exact(&mut n).map_err(|_| bad())?;
            let mut left = u64::from_be_bytes(n);
            while left > 0 {
                let take = left.min(CHUNK as u64);
                let mut entries = Vec::with_capacity(take as usize);
                for _ in 0..take {
                    let k = read_field(&mut z).ok_or_else(bad)?;
                    let v = read_field(&mut z).ok_or_else(bad)?;
                    entries.push((k, v));
                }
                left -= take;
                each(&name, entries)?;
            }
        }
    }
}

/// Entries handed over at once while a backup is read.
const CHUNK: usize = 10_000;

fn read_field(r: &mut impl Read) -> Option<Vec<u8>> {
    let mut n = [0u8; 4];
    r.read_exact(&mut n).ok()?;
    let n = u32::from_be_bytes(n);
    if n > MAX_FIELD {
        return None;
    }
    let mut field = Vec::new();
    r.take(u64::from(n)).read_to_end(&mut field).ok()?;
    (field.len() == n as usize).then_some(field)
}

/// What a restore wrote.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub trees: usize,
    pub entries: u64,
}

/// Restores `backup` into `dir`, which must be missing or empty; the
/// result opens with `key` like the backed-up database did.
pub fn restore(
    backup: &Backup,
    dir: &Path,
    key: &MasterKey,
    shown: &str,
    key_file: &Path,
) -> Result<RestoreReport, BackupError> {
    backup.check(key, shown, key_file)?;
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(BackupError::NotEmpty {
            dir: dir.display().to_string(),
        });
    }
    let existed = dir.exists();
    std::fs::create_dir_all(dir)?;
    if !existed {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let written = write_into(backup, dir, key);
    if written.is_err() {
        // Nothing half-restored is left behind: the directory was empty.
        let _ = if existed {
            std::fs::read_dir(dir).map(|entries| {
                for e in entries.flatten() {
                    let p = e.path();
                    let _ = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                }
            })
        } else {
            std::fs::remove_dir_all(dir)
        };
    }
    written
}

fn write_into(backup: &Backup, dir: &Path, key: &MasterKey) -> Result<RestoreReport, BackupError> {
    let db = sled::Config::new()
        .path(dir)
        .open()
        .map_err(StoreError::from)?;
    let mut report = RestoreReport {
        trees: 0,
        entries: 0,
    };
    let mut last = None;
    backup.trees(|name, entries| {
        let tree = db.open_tree(name).map_err(StoreError::from)?;
        let mut batch = sled::Batch::default();
        report.entries += entries.len() as u64;
        if last.as_deref() != Some(name) {
            report.trees += 1;
            last = Some(name.to_vec());
        }
        for (k, v) in entries {
            batch.insert(k, v);
        }
        tree.apply_batch(batch).map_err(StoreError::from)?;
        Ok(())
    })?;
    db.flush().map_err(StoreError::from)?;
    drop(db);
    write_key_check(&dir.join(KEY_CHECK_FILE), key)?;
    Ok(report)
}
