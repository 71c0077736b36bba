use super::*;
use crate::clock::Timestamp;
use crate::domain::account::{DisplayName, Email, User};
use crate::domain::ids::UserId;

fn user(email: &str) -> User {
    User {
        id: UserId::generate(Timestamp::from_millis(1_000)),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("Someone").unwrap(),
        password_hash: None,
        platform_admin: false,
        created_at: Timestamp::from_millis(1_000),
        password_changed_at: None,
        email_topics: Vec::new(),
    }
}

fn open(dir: &Path, key: u8) -> Result<Store, OpenError> {
    Store::open(
        &dir.join("db"),
        &MasterKey::from_bytes([key; 32]),
        Path::new("test.key"),
    )
}

#[test]
fn emails_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    store.insert_user(&user("a@example.com")).unwrap();
    let again = store.insert_user(&user("a@example.com"));
    assert!(matches!(
        again,
        Err(StoreError::Conflict(Conflict::EmailTaken))
    ));
    assert_eq!(store.users().unwrap().len(), 1);
}

#[test]
fn setup_happens_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    store.setup_first_admin(&user("a@example.com")).unwrap();
    let again = store.setup_first_admin(&user("b@example.com"));
    assert!(matches!(
        again,
        Err(StoreError::Conflict(Conflict::SetupDone))
    ));
}

#[test]
fn a_different_master_key_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path(), 1).unwrap();
        store.insert_user(&user("a@example.com")).unwrap();
        store.flush_blocking().unwrap();
    }
    let err = open(dir.path(), 2)
        .err()
        .expect("another key must be refused");
    assert!(matches!(err, OpenError::KeyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");
    // sled's background flusher may hold the directory's lock for a moment
    // after the first handle is dropped; only that error is waited out.
    let mut reopened = open(dir.path(), 1);
    for _ in 0..100 {
        match &reopened {
            Err(OpenError::Open { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                reopened = open(dir.path(), 1);
            }
            _ => break,
        }
    }
    let store = reopened.expect("the original key still opens it");
    assert_eq!(store.users().unwrap().len(), 1);
}
