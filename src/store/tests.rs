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

fn audit(team: crate::domain::ids::TeamId) -> crate::domain::audit::AuditRecord {
    let at = Timestamp::from_millis(1_000);
    crate::domain::audit::AuditRecord {
        id: crate::domain::ids::AuditId::generate(at),
        at,
        actor: None,
        team: Some(team),
        action: "test".into(),
        detail: String::new(),
        subject: None,
    }
}

/// An update writes only the indexes whose keys changed; what the indexes
/// answer must follow every change all the same.
#[test]
fn credential_indexes_follow_updates_and_removal() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    let (t1, t2) = (
        Timestamp::from_millis(50_000),
        Timestamp::from_millis(90_000),
    );
    let mut c = crate::domain::credential::tests::credential();
    c.expires_at = Some(t1);
    let put = |c: &crate::domain::credential::Credential| {
        let changes = Changes {
            credentials: vec![c],
            ..Changes::default()
        };
        store.commit(&changes, &audit(c.team)).unwrap();
    };
    put(&c);
    assert_eq!(store.due_expiries(t1, 10).unwrap(), vec![(c.team, c.id)]);
    assert_eq!(store.credentials_of_app(c.application).unwrap().len(), 1);
    assert_eq!(
        store.credential_by_key(&c.key_id).unwrap().unwrap().id,
        c.id
    );

    // A longer lifetime moves its place in the expiry index.
    c.expires_at = Some(t2);
    c.name = "renamed".into();
    put(&c);
    assert!(store.due_expiries(t1, 10).unwrap().is_empty());
    assert_eq!(store.due_expiries(t2, 10).unwrap(), vec![(c.team, c.id)]);
    assert_eq!(
        store.credentials_of_app(c.application).unwrap()[0].name,
        "renamed"
    );
    assert_eq!(store.credentials_of_provider(c.provider).unwrap().len(), 1);

    // Expired: out of the expiry index; a reminder planned: in that one.
    c.expired = true;
    c.next_reminder = Some((7, t1));
    put(&c);
    assert!(store.due_expiries(t2, 10).unwrap().is_empty());
    assert_eq!(store.due_reminders(t1, 10).unwrap(), vec![(c.team, c.id)]);

    let changes = Changes {
        removed_credentials: vec![&c],
        ..Changes::default()
    };
    store.commit(&changes, &audit(c.team)).unwrap();
    assert!(store.due_reminders(t2, 10).unwrap().is_empty());
    assert!(store.credentials_of_app(c.application).unwrap().is_empty());
    assert!(
        store
            .credentials_of_provider(c.provider)
            .unwrap()
            .is_empty()
    );
    assert!(store.credential_by_key(&c.key_id).unwrap().is_none());
    assert!(store.credential(c.id).unwrap().is_none());
}

/// A long list read on several threads answers in the order asked, with
/// the ones not there as such.
#[test]
fn many_credentials_read_at_once_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    let template = crate::domain::credential::tests::credential();
    let now = Timestamp::from_millis(60_000);
    let made: Vec<_> = (0..300)
        .map(|i| {
            let mut c = template.clone();
            c.id = crate::domain::ids::CredentialId::generate(now);
            c.key_id = crate::domain::key_format::KeyId::generate();
            c.name = format!("c{i}");
            c
        })
        .collect();
    let changes = Changes {
        credentials: made.iter().collect(),
        ..Changes::default()
    };
    store.commit(&changes, &audit(template.team)).unwrap();
    let mut ids: Vec<_> = made.iter().map(|c| c.id).rev().collect();
    let missing = crate::domain::ids::CredentialId::generate(now);
    ids.insert(150, missing);
    let read = store.credentials_by_id(&ids);
    assert_eq!(read.len(), ids.len());
    for (id, r) in ids.iter().zip(read) {
        match r.unwrap() {
            Some(c) => assert_eq!(c.id, *id),
            None => assert_eq!(*id, missing),
        }
    }
    assert!(store.credentials_by_id(&[]).is_empty());
}

/// The data check finds an index entry without its record and a record
/// missing from its index, and a secret that does not open with the key.
#[test]
fn check_data_reports_broken_indexes_and_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    let key = MasterKey::from_bytes([1; 32]);
    let c = crate::domain::credential::tests::credential();
    let secret = work::SealedSecret {
        credential: c.id,
        version: 1,
        until: Timestamp::from_millis(9_000),
        sealed: crate::crypto::vault::Vault::new(&key)
            .seal(b"s3cret", &crate::domain::credential::secret_aad(c.id, 1)),
    };
    let changes = Changes {
        credentials: vec![&c],
        secrets: vec![&secret],
        ..Changes::default()
    };
    store.commit(&changes, &audit(c.team)).unwrap();
    let clean = store.check_data(&key).unwrap();
    assert!(clean.is_clean(), "{:?}", clean.problems);

    let entry = store
        .credential_by_app
        .iter()
        .keys()
        .next()
        .unwrap()
        .unwrap();
    store.credential_by_app.remove(&entry).unwrap();
    store.audit_by_team.insert([7u8; 32], &[]).unwrap();
    store
        .user_by_email
        .insert("ghost@example.com", &[9u8; 16][..])
        .unwrap();
    let r = store.check_data(&key).unwrap();
    assert_eq!(r.count, 3, "{:?}", r.problems);
    assert!(
        r.problems
            .iter()
            .any(|p| p.starts_with("user_by_email: entry"))
    );
    assert!(
        r.problems
            .iter()
            .any(|p| p.starts_with("credential_by_app: a record's entry"))
    );
    assert!(
        r.problems
            .iter()
            .any(|p| p.starts_with("audit_by_team: entry"))
    );

    let other = store.check_data(&MasterKey::from_bytes([2; 32])).unwrap();
    assert!(
        other.problems.iter().any(|p| p.contains("does not open")),
        "{:?}",
        other.problems
    );
}

/// A transaction's audit records are kept as one list; every reader sees
/// them one by one beside records kept alone, as before schema 2.
#[test]
fn a_batch_of_audit_records_reads_as_its_records() {
    use crate::domain::audit::Subject;
    use crate::domain::ids::{CredentialId, TeamId};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    let at = Timestamp::from_millis(1_000);
    let (team, other) = (TeamId::generate(at), TeamId::generate(at));
    let alone = audit(team);
    store.append_audit(&alone).unwrap();
    // 20 records: more than a MessagePack fixarray holds.
    let ids: Vec<CredentialId> = (0..20).map(|_| CredentialId::generate(at)).collect();
    let mut batch: Vec<_> = ids
        .iter()
        .map(|id| crate::domain::audit::AuditRecord {
            subject: Some(Subject::Credential(*id)),
            detail: format!("about {id}"),
            ..audit(team)
        })
        .collect();
    batch.push(audit(other));
    store.commit_all(&Changes::default(), &batch).unwrap();

    assert_eq!(store.audit_count(), 22);
    let history = store.team_audit(team, 100).unwrap();
    assert_eq!(history.len(), 21);
    assert_eq!(history[0].id, batch[19].id, "newest first");
    assert_eq!(history[20].id, alone.id);
    assert_eq!(store.team_audit(team, 5).unwrap().len(), 5);
    assert_eq!(store.team_audit(other, 100).unwrap()[0].id, batch[20].id);
    for (id, record) in ids.iter().zip(&batch) {
        let mine = store.subject_audit(Subject::Credential(*id), 10).unwrap();
        assert_eq!(mine.len(), 1, "{id}");
        assert_eq!(mine[0].detail, record.detail);
    }
    let r = store
        .check_data(&crate::crypto::master_key::MasterKey::from_bytes([1; 32]))
        .unwrap();
    assert!(r.is_clean(), "{:?}", r.problems);
}

/// Forty callers write and flush at once, and eight wait on the flushing
/// thread directly: each is answered, with success. Dropping the store
/// ends that thread, so the database opens again.
#[test]
fn callers_flushing_at_once_are_each_answered_after_their_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let callers = (0..40).map(|i| {
            let store = store.clone();
            async move {
                store
                    .insert_user(&user(&format!("p{i}@example.com")))
                    .unwrap();
                store.flush().await.unwrap();
            }
        });
        futures_util::future::join_all(callers).await;
    });
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..8 {
        let tx = tx.clone();
        store.after_flush(move |r| tx.send(r.is_ok()).unwrap());
    }
    for _ in 0..8 {
        assert!(rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap());
    }
    assert_eq!(store.users().unwrap().len(), 40);
    drop(store);
    // As above, only sled's own background flusher is waited out.
    let mut again = open(dir.path(), 1);
    for _ in 0..100 {
        if !matches!(again, Err(OpenError::Open { .. })) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        again = open(dir.path(), 1);
    }
    let again = again.expect("the flushing thread let go of the database");
    assert_eq!(again.users().unwrap().len(), 40);
}

#[test]
fn a_transaction_waits_for_its_turn_while_reads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1).unwrap();
    let first = user("first@example.com");
    store.insert_user(&first).unwrap();
    // A flush under way holds the turn.
    let flushing = store.turn();
    let writer = std::thread::spawn({
        let store = store.clone();
        move || store.insert_user(&user("second@example.com")).unwrap()
    });
    std::thread::sleep(std::time::Duration::from_millis(50));
    // The transaction waits; reads of any tree do not.
    assert!(!writer.is_finished());
    assert!(store.user(first.id).unwrap().is_some());
    assert_eq!(store.users().unwrap().len(), 1);
    drop(flushing);
    writer.join().unwrap();
    assert_eq!(store.users().unwrap().len(), 2);
}

/// Every sled transaction of the store takes its turn first (the census of
/// `transaction(` calls in the store's sources), so none meets a flush
/// inside sled's lock and holds every read back.
#[test]
fn every_transaction_in_the_store_takes_its_turn() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut files = vec![];
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
                files.push(p);
            }
        }
    }
    let mut seen = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.contains(".transaction(") || l.trim_start().starts_with("//") {
                continue;
            }
            seen += 1;
            let before = &lines[i.saturating_sub(8)..i];
            assert!(
                before.iter().any(|b| b.contains("self.turn()")),
                "{}:{}: a transaction without `let _turn = self.turn();` before it",
                f.display(),
                i + 1
            );
        }
    }
    assert!(seen >= 12, "the census found {seen} transactions");
}

/// Tasks carried out together in one transaction change the embedded plane
/// exactly as the same tasks carried out one after the other: each sees what
/// the ones before it wrote, and a repeated key changes nothing.
#[test]
fn embedded_tasks_applied_together_see_each_other_in_order() {
    use crate::domain::access::TaskOp;
    use crate::domain::credential::CredentialOp;
    use crate::domain::ids::CredentialId;
    use crate::domain::key_format::KeyId;
    use crate::domain::outbox::{CredentialWork, samples};
    use crate::domain::resource::CredentialType;

    let now = Timestamp::from_millis(5_000);
    let grant = samples::grant();
    let key_id = KeyId::generate();
    let work = |op, hash: &str| CredentialWork {
        credential: CredentialId::generate(now),
        key_id,
        kind: CredentialType::ApiKey,
        op,
        active: true,
        secret_version: 1,
        secret_hash: hash.into(),
        grace_until: None,
        sealed_secret: None,
    };
    let task = |key: &str, op, credential| samples::task(&grant, key, op, "embedded", credential);
    let tasks = vec![
        task("grant", TaskOp::Grant, None),
        task(
            "provision",
            TaskOp::Grant,
            Some(work(CredentialOp::Provision, "aa")),
        ),
        task(
            "suspend",
            TaskOp::Grant,
            Some(work(CredentialOp::Suspend, "aa")),
        ),
        task(
            "provision",
            TaskOp::Grant,
            Some(work(CredentialOp::Provision, "bb")),
        ),
        task("revoke", TaskOp::Revoke, None),
        task("grant", TaskOp::Grant, None),
    ];
    let describe = |c: &EmbeddedChange| match c {
        EmbeddedChange::Grant(_) => "grant".to_owned(),
        EmbeddedChange::Revoke(..) => "revoke".to_owned(),
        EmbeddedChange::Credential(c) => format!("credential {} {}", c.hash, c.active),
        EmbeddedChange::CredentialRemoved(_) => "removed".to_owned(),
        EmbeddedChange::Nothing => "nothing".to_owned(),
    };

    let (one_dir, all_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (one, all) = (
        open(one_dir.path(), 1).unwrap(),
        open(all_dir.path(), 1).unwrap(),
    );
    let one_by_one: Vec<String> = tasks
        .iter()
        .map(|t| describe(&one.embedded_apply(t).unwrap()))
        .collect();
    let together: Vec<String> = all
        .embedded_apply_all(&tasks)
        .unwrap()
        .iter()
        .map(describe)
        .collect();
    assert_eq!(
        together,
        [
            "grant",
            "credential aa true",
            "credential aa false",
            "nothing",
            "revoke",
            "nothing"
        ]
    );
    assert_eq!(together, one_by_one);
    for store in [&one, &all] {
        assert_eq!(
            store.embedded_grant_count(),
            0,
            "revoked, and the grant's key spent"
        );
        let c = store
            .embedded_credential(&key_id)
            .unwrap()
            .expect("provisioned");
        assert_eq!((c.hash.as_str(), c.active), ("aa", false));
    }
}
