//! Secrets at rest: AES-256-GCM with a random 96-bit nonce. The associated data
//! binds a ciphertext to the record it belongs to, so a ciphertext copied onto
//! another record does not open.
//!
//! Layout: `[format 1][key id 4][nonce 12][ciphertext + tag]`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::master_key::MasterKey;
use super::random;

const FORMAT: u8 = 1;
const HEADER: usize = 1 + 4 + 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the sealed value is damaged or belongs to another record")]
    Corrupt,
    #[error("the sealed value was made with another master key")]
    UnknownKey,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
    key_id: [u8; 4],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

impl Vault {
    pub fn new(key: &MasterKey) -> Self {
        let derived = key.derive("vault/aes-256-gcm");
        // A 32-byte slice is exactly the AES-256 key length.
        let cipher = Aes256Gcm::new_from_slice(&derived).expect("32 bytes is an AES-256 key");
        Self {
            cipher,
            key_id: key.key_id(),
        }
    }

    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce_bytes = random::bytes::<12>();
        let nonce = Nonce::from(nonce_bytes);
        // Encryption fails only for messages over 64 GiB.
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("AES-GCM encrypts any message under 64 GiB");
        let mut out = Vec::with_capacity(HEADER + ciphertext.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        if sealed.len() < HEADER + 16 || sealed[0] != FORMAT {
            return Err(VaultError::Corrupt);
        }
        if sealed[1..5] != self.key_id {
            return Err(VaultError::UnknownKey);
        }
        let nonce_bytes: [u8; 12] = sealed[5..HEADER]
            .try_into()
            .map_err(|_| VaultError::Corrupt)?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: &sealed[HEADER..],
                    aad,
                },
            )
            .map_err(|_| VaultError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(seed: u8) -> Vault {
        Vault::new(&MasterKey::from_bytes([seed; 32]))
    }

    #[test]
    fn sealed_values_open_with_the_same_binding() {
        let v = vault(1);
        let sealed = v.seal(b"s3cret", b"credential:1:v1");
        assert_eq!(v.open(&sealed, b"credential:1:v1").unwrap(), b"s3cret");
        assert_ne!(
            v.seal(b"s3cret", b"x"),
            v.seal(b"s3cret", b"x"),
            "nonces are random"
        );
    }

    #[test]
    fn a_ciphertext_moved_to_another_record_does_not_open() {
        let v = vault(1);
        let sealed = v.seal(b"s3cret", b"credential:1:v1");
        assert_eq!(
            v.open(&sealed, b"credential:2:v1"),
            Err(VaultError::Corrupt)
        );
        assert_eq!(
            v.open(&sealed, b"credential:1:v2"),
            Err(VaultError::Corrupt)
        );
    }

    #[test]
    fn tampering_and_foreign_keys_are_detected() {
        let v = vault(1);
        let mut sealed = v.seal(b"s3cret", b"a");
        assert_eq!(vault(2).open(&sealed, b"a"), Err(VaultError::UnknownKey));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(v.open(&sealed, b"a"), Err(VaultError::Corrupt));
        assert_eq!(v.open(&[1, 2, 3], b"a"), Err(VaultError::Corrupt));
    }
}
