//! The master key: 256 bits that encrypt secrets at rest and key the other
//! server secrets (CSRF, flash signatures) by derivation.

use std::fmt;
use std::io::Write;
use std::path::Path;

use super::digest::hmac_sha256;
use super::random;

#[derive(Clone)]
pub struct MasterKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error(
        "security.master_key_file: cannot read {path}: {source}; make the file readable by Agora, or point security.master_key_file (AGORA_SECURITY__MASTER_KEY_FILE) at the key file"
    )]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "security.master_key_file: {path} does not hold a key; it must contain 64 hex characters (256 bits). Restore the original file, or move it away to have a new key created on an empty database"
    )]
    Malformed { path: String },
    #[error(
        "security.master_key_file: cannot create {path}: {source}; check that its directory exists and is writable"
    )]
    Create {
        path: String,
        source: std::io::Error,
    },
}

impl MasterKey {
    /// Reads the key file, or creates it (mode 0600) with a fresh key when absent.
    pub fn load_or_create(path: &Path) -> Result<Self, MasterKeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::from_hex(text.trim()).ok_or(MasterKeyError::Malformed { path: shown })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self(random::bytes());
                write_private(path, format!("{}\n", hex::encode(key.0)).as_bytes()).map_err(
                    |source| MasterKeyError::Create {
                        path: shown,
                        source,
                    },
                )?;
                tracing::info!(path = %path.display(), "created a new master key file; keep a copy of it with your backups");
                Ok(key)
            }
            Err(source) => Err(MasterKeyError::Unreadable {
                path: shown,
                source,
            }),
        }
    }

    /// Reads the key file, which must exist (restoring and checking need the
    /// original key, never a fresh one).
    pub fn load(path: &Path) -> Result<Self, MasterKeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::from_hex(text.trim()).ok_or(MasterKeyError::Malformed { path: shown })
            }
            Err(source) => Err(MasterKeyError::Unreadable {
                path: shown,
                source,
            }),
        }
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A key for one purpose, derived so no two purposes share key material.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, &[b"agora/", purpose.as_bytes()])
    }

    /// Stored in the database to recognise the key later without revealing it.
    pub fn check_value(&self) -> [u8; 16] {
        let full = self.derive("key-check-value");
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// Written into each ciphertext's header so a rotated key can be found.
    pub fn key_id(&self) -> [u8; 4] {
        let kcv = self.check_value();
        [kcv[0], kcv[1], kcv[2], kcv[3]]
    }

    #[cfg(test)]
    fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agora.key");
        let created = MasterKey::load_or_create(&path).unwrap();
        let again = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(created.expose(), again.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(format!("{created:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn a_file_without_a_key_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agora.key");
        std::fs::write(&path, "not a key").unwrap();
        let e = MasterKey::load_or_create(&path).unwrap_err().to_string();
        assert!(e.starts_with("security.master_key_file:"), "{e}");
        assert!(e.contains("64 hex characters"), "{e}");
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let k = MasterKey::from_bytes([7; 32]);
        assert_ne!(k.derive("csrf"), k.derive("flash"));
        assert_eq!(
            k.derive("csrf"),
            MasterKey::from_bytes([7; 32]).derive("csrf")
        );
    }
}
