//! Values on disk: one format byte, then MessagePack with field names. Named
//! fields make records self-describing: a field added later with
//! `#[serde(default)]` reads from old records, and old code skips new fields.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

const FORMAT_V1: u8 = 1;

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![FORMAT_V1];
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT_V1, body)) => {
            rmp_serde::from_slice(body).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        Some((other, _)) => Err(StoreError::Corrupt(format!("unknown value format {other}"))),
        None => Err(StoreError::Corrupt("empty value".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::clock::Timestamp;
    use crate::domain::account::User;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Before {
        name: String,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct After {
        name: String,
        #[serde(default)]
        motto: Option<String>,
    }

    #[test]
    fn a_record_from_before_a_new_optional_field_still_reads() {
        let old = encode(&Before { name: "ada".into() }).unwrap();
        assert_eq!(
            decode::<After>(&old).unwrap(),
            After {
                name: "ada".into(),
                motto: None
            }
        );
    }

    #[test]
    fn older_code_reads_a_record_with_a_newer_field() {
        let new = encode(&After {
            name: "ada".into(),
            motto: Some("hi".into()),
        })
        .unwrap();
        assert_eq!(
            decode::<Before>(&new).unwrap(),
            Before { name: "ada".into() }
        );
    }

    /// A user record as the first release wrote it, before `password_changed_at`.
    #[test]
    fn a_first_release_user_record_reads() {
        #[derive(Serialize)]
        struct UserV1<'a> {
            id: &'a str,
            email: &'a str,
            display_name: &'a str,
            password_hash: Option<&'a str>,
            platform_admin: bool,
            created_at: i64,
        }
        let bytes = encode(&UserV1 {
            id: "01KBCDEFGHJKMNPQRSTVWXYZ00",
            email: "ada@example.com",
            display_name: "Ada",
            password_hash: None,
            platform_admin: true,
            created_at: 1_767_225_600_000,
        })
        .unwrap();
        let user: User = decode(&bytes).unwrap();
        assert_eq!(user.email.as_str(), "ada@example.com");
        assert_eq!(user.created_at, Timestamp::from_millis(1_767_225_600_000));
        assert_eq!(user.password_changed_at, None);
    }

    #[test]
    fn unknown_formats_are_reported_not_misread() {
        assert!(matches!(
            decode::<Before>(&[9, 1, 2]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(decode::<Before>(&[]), Err(StoreError::Corrupt(_))));
    }
}
