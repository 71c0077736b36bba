//! What a secret looks like on the wire. An API key is
//! `agora_<key id>_<secret><checksum>`: a public 16-hex-digit key id, a
//! 192-bit secret (48 hex digits) and 8 hex digits of checksum, so a leaked
//! key is recognisable and a mistyped or cut one is refused before any lookup.
//! OAuth clients get a client id `agc_<key id>` and a 192-bit client secret.

use crate::crypto::digest::sha256;
use crate::crypto::random;

pub const API_KEY_PREFIX: &str = "agora_";
pub const CLIENT_ID_PREFIX: &str = "agc_";
pub const TOKEN_PREFIX: &str = "agt_";
const KEY_ID_HEX: usize = 16;
const SECRET_HEX: usize = 48;
const CHECK_HEX: usize = 8;

/// The public part of a credential: shown in lists, audit and logs. Its 16
/// hex digits are kept inline (no allocation, `Copy`), and it is stored and
/// serialised as that text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_HEX]);

impl KeyId {
    pub fn generate() -> Self {
        let mut id = [0u8; KEY_ID_HEX];
        // Encoding 8 bytes into 16 hex digits cannot fail.
        let _ = hex::encode_to_slice(random::bytes::<8>(), &mut id);
        Self(id)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        is_hex(raw, KEY_ID_HEX).then(|| Self(raw.as_bytes().try_into().unwrap_or_default()))
    }

    pub fn as_str(&self) -> &str {
        // Only `generate` and `parse` make a key id: always ASCII hex digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The OAuth client id of a client-credentials credential.
    pub fn client_id(&self) -> String {
        format!("{CLIENT_ID_PREFIX}{}", self.as_str())
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({})", self.as_str())
    }
}

impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = KeyId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key id of 16 lowercase hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyId, E> {
                KeyId::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(Visitor)
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn checksum(body: &str) -> String {
    hex::encode(&sha256(body.as_bytes())[..CHECK_HEX / 2])
}

/// A new secret: 48 hex digits (192 bits).
pub fn new_secret() -> String {
    hex::encode(random::bytes::<24>())
}

/// The full API key for a key id and secret.
pub fn api_key(id: &KeyId, secret: &str) -> String {
    compose(API_KEY_PREFIX, id, secret)
}

/// The full API token (for `/api/v1`) for a token id and secret: the same
/// shape as an API key under its own prefix, so neither passes for the other.
pub fn api_token(id: &KeyId, secret: &str) -> String {
    compose(TOKEN_PREFIX, id, secret)
}

fn compose(prefix: &str, id: &KeyId, secret: &str) -> String {
    let body = format!("{prefix}{id}_{secret}");
    let check = checksum(&body);
    format!("{body}{check}")
}

/// Why a presented key was refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRejection {
    Malformed,
    BadChecksum,
}

/// Splits an API key into its key id and secret, checking shape and checksum.
pub fn parse_api_key(key: &str) -> Result<(KeyId, &str), KeyRejection> {
    split(API_KEY_PREFIX, key)
}

/// Splits an API token into its token id and secret, checking shape and checksum.
pub fn parse_api_token(token: &str) -> Result<(KeyId, &str), KeyRejection> {
    split(TOKEN_PREFIX, token)
}

fn split<'a>(prefix: &str, key: &'a str) -> Result<(KeyId, &'a str), KeyRejection> {
    let rest = key.strip_prefix(prefix).ok_or(KeyRejection::Malformed)?;
    let (id, tail) = rest.split_once('_').ok_or(KeyRejection::Malformed)?;
    let id = KeyId::parse(id).ok_or(KeyRejection::Malformed)?;
    if !is_hex(tail, SECRET_HEX + CHECK_HEX) {
        return Err(KeyRejection::Malformed);
    }
    let (secret, check) = tail.split_at(SECRET_HEX);
    let body = &key[..key.len() - CHECK_HEX];
    if checksum(body) != check {
        return Err(KeyRejection::BadChecksum);
    }
    Ok((id, secret))
}

/// The key id in an OAuth client id.
pub fn parse_client_id(client_id: &str) -> Option<KeyId> {
    KeyId::parse(client_id.strip_prefix(CLIENT_ID_PREFIX)?)
}

/// Whether a client secret has the shape Agora issues.
pub fn is_client_secret(secret: &str) -> bool {
    is_hex(secret, SECRET_HEX)
}

/// Checks an OAuth client id a provider's gateway made: 3 to 200 visible
/// ASCII characters, no spaces. Empty: Agora's own id is kept.
pub fn check_entered_client_id(raw: &str) -> Result<Option<String>, crate::domain::FieldError> {
    let id = raw.trim();
    if id.is_empty() {
        return Ok(None);
    }
    if !(3..=200).contains(&id.len()) || !id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(crate::domain::FieldError::new(
            "client_id",
            "A client id has 3 to 200 letters, digits or punctuation, without spaces.",
        ));
    }
    Ok(Some(id.to_owned()))
}

/// Checks a secret a provider made on their own gateway and enters by hand:
/// 16 to 200 visible ASCII characters, no spaces.
pub fn check_entered_secret(raw: &str) -> Result<String, crate::domain::FieldError> {
    let secret = raw.trim();
    let bad = |m: &str| Err(crate::domain::FieldError::new("secret", m));
    if secret.is_empty() {
        return bad(
            "Enter the secret you set on your gateway: the consumer sees it once it is provisioned.",
        );
    }
    if !(16..=200).contains(&secret.len()) {
        return bad("A secret has 16 to 200 characters.");
    }
    if !secret.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return bad("Use letters, digits and punctuation, without spaces.");
    }
    Ok(secret.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entered_secret_is_checked_for_its_shape() {
        assert!(check_entered_secret("  s3cr3t-from-the-gateway  ").is_ok());
        assert_eq!(check_entered_secret(" x7 ").unwrap_err().field, "secret");
        assert!(check_entered_secret("").is_err());
        assert!(check_entered_secret("has a space in it ok").is_err());
        assert!(check_entered_secret(&"a".repeat(201)).is_err());
    }

    #[test]
    fn a_key_round_trips_and_any_typo_is_caught() {
        let id = KeyId::generate();
        let secret = new_secret();
        assert_eq!(secret.len() * 4, 192);
        let key = api_key(&id, &secret);
        assert_eq!(parse_api_key(&key), Ok((id, secret.as_str())));
        // Every single-character change is refused before a lookup.
        for at in API_KEY_PREFIX.len()..key.len() {
            let mut typo = key.clone().into_bytes();
            typo[at] = if typo[at] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            if typo != key {
                assert!(parse_api_key(&typo).is_err(), "{typo}");
            }
        }
        assert_eq!(
            parse_api_key(&key[..key.len() - 1]),
            Err(KeyRejection::Malformed)
        );
        assert_eq!(parse_api_key("Bearer x"), Err(KeyRejection::Malformed));
    }

    #[test]
    fn client_ids_carry_the_key_id() {
        let id = KeyId::generate();
        assert_eq!(parse_client_id(&id.client_id()), Some(id));
        assert_eq!(parse_client_id("agc_XYZ"), None);
        assert!(is_client_secret(&new_secret()));
        assert!(!is_client_secret("short"));
    }
}
