//! One id type per entity. Ids are ULIDs: 128 bits, sortable by creation time,
//! stored as 16 big-endian bytes so sled keys sort the same way.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::clock::Timestamp;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Ulid);

        impl $name {
            pub fn generate(now: Timestamp) -> Self {
                Self(new_ulid(now))
            }

            pub fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }

            pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
                let arr: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
                Some(Self(Ulid::from_bytes(arr)))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Ulid::from_string(s).map(Self).map_err(|_| InvalidId)
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidId;

/// The last id made: ids made within one millisecond count up from it,
/// so ids sort in the order they were made (lists page by id).
static LAST: std::sync::Mutex<u128> = std::sync::Mutex::new(0);

fn new_ulid(now: Timestamp) -> Ulid {
    let mut random = [0u8; 10];
    crate::crypto::random::fill(&mut random);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&(now.as_millis().max(0) as u64).to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&random);
    let fresh = u128::from_be_bytes(bytes);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    // Same millisecond (the top 48 bits) as the last id: one more than it.
    let next = if fresh >> 80 == *last >> 80 && fresh <= *last {
        last.wrapping_add(1)
    } else {
        fresh
    };
    *last = next;
    Ulid(next)
}

id_type!(UserId);
id_type!(TeamId);
id_type!(
    /// An audit record's id: its ULID orders the trail by time.
    AuditId
);
id_type!(ProductId);
id_type!(
    /// A resource (one API of a product).
    ResourceId
);
id_type!(
    /// A usage plan of a product.
    PlanId
);
id_type!(SubscriptionId);
id_type!(ApplicationId);
id_type!(
    /// An access request: application × resource through a subscription.
    AccessId
);
id_type!(
    /// A provisioning task in the outbox.
    TaskId
);
id_type!(CredentialId);
id_type!(NotificationId);
id_type!(
    /// A message Agora sends out: an email or a webhook call.
    DeliveryId
);
id_type!(
    /// A team's webhook endpoint.
    EndpointId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_bytes() {
        let id = UserId::generate(Timestamp::from_millis(1_767_225_600_000));
        assert_eq!(id.to_string().parse::<UserId>(), Ok(id));
        assert_eq!(UserId::from_bytes(&id.to_bytes()), Some(id));
        assert!("not-an-id".parse::<UserId>().is_err());
    }

    #[test]
    fn ids_sort_by_creation_time() {
        let a = TeamId::generate(Timestamp::from_millis(1_000));
        let b = TeamId::generate(Timestamp::from_millis(2_000));
        assert!(a.to_bytes() < b.to_bytes());
    }
}
