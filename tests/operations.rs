//! Running Agora for years: an online backup under write load restores on
//! a fresh directory with every acknowledged change, the gateway agrees
//! with the pages there, and the data check is clean; a restore refuses
//! what it must; the platform admin backs up from the pages.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;

/// `agora check-data` in this process: sled's flusher may hold a closed
/// database's lock for a moment, and only that is waited out.
fn check_data(config: &agora::config::Config) -> agora::store::DataReport {
    for _ in 0..100 {
        match agora::operate::check_data(config) {
            Err(e) if e.contains("could not acquire lock") => {
                std::thread::sleep(Duration::from_millis(20))
            }
            other => return other.expect("check-data runs"),
        }
    }
    panic!("the database stayed locked");
}

/// Credentials made by one writer: (id, key, when its creation was acknowledged).
type Made = Vec<(String, String, Instant)>;

async fn write_load(b: Browser, h: Arc<Holder>, stop: Arc<AtomicBool>, w: usize) -> Made {
    let mut made = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let (id, key, _) = b
            .create_credential(&h, &format!("load {w}-{i}"), "api_key")
            .await;
        made.push((id, key, Instant::now()));
        i += 1;
    }
    made
}

#[actix_web::test]
async fn a_backup_under_write_load_restores_everything_acknowledged_before_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = Arc::new(app.holder(&admin, "embedded").await);
    let (before, before_key, _) = admin.create_credential(&h, "before", "api_key").await;
    app.run_due().await;

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let b = Browser {
                client: admin.client.clone(),
                base: admin.base.clone(),
            };
            actix_web::rt::spawn(write_load(b, h.clone(), stop.clone(), w))
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;

    let file = app.dir.path().join("drill.backup");
    let config = app.state.config.clone();
    let began = Instant::now();
    let target = file.clone();
    let line =
        actix_web::rt::task::spawn_blocking(move || agora::operate::backup(&config, &target))
            .await
            .unwrap()
            .expect("backup through the control socket");
    assert!(line.contains("writes paused"), "{line}");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut made = Made::new();
    for w in writers {
        made.extend(w.await.unwrap());
    }
    let acknowledged: Vec<_> = made.iter().filter(|(_, _, at)| *at < began).collect();
    assert!(
        acknowledged.len() >= 4 && acknowledged.len() < made.len(),
        "writes went on before and during the backup: {} of {}",
        acknowledged.len(),
        made.len()
    );
    let old = app.stop().await;

    // A new machine: only the backup file and the key file come along.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(old.path().join("agora.key"), fresh.path().join("agora.key")).unwrap();
    let config = settings_on(fresh.path(), &[]);
    let data = fresh.path().join("data");
    let restored = agora::operate::restore(&config, &file, &data).expect("restore");
    assert!(restored.contains("restored"), "{restored}");
    let report = check_data(&config);
    assert!(report.is_clean(), "{:?}", report.problems);
    assert!(report.checked > 100, "{}", report.checked);

    let app = spawn_in(fresh, &[]).await;
    for (id, _, _) in &acknowledged {
        let c = app.state.store.credential(id.parse().unwrap()).unwrap();
        assert!(
            c.is_some(),
            "credential {id}, acknowledged before the backup, is lost"
        );
    }
    // The queued provisioning of the restored credentials runs here; the
    // gateway then agrees with the pages for the old and the new alike.
    app.run_due().await;
    let people = app.browser();
    assert_eq!(
        people.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        303
    );
    let (last, last_key, _) = acknowledged.last().unwrap();
    for (id, key) in [(&before, &before_key), (last, last_key)] {
        let html = people
            .html(&format!("/teams/{}/credentials/{id}", h.c.team))
            .await;
        assert!(html.contains("Active"), "the page shows it active");
        let res = authorize(
            &app,
            &[("X-API-Key", key), ("X-Original-URI", "/weather/today")],
        )
        .await;
        assert_eq!(res.status(), 200, "the gateway lets {id} in");
    }
    let dir = app.stop().await;
    let config = settings_on(dir.path(), &[]);
    assert!(check_data(&config).is_clean());
}

#[actix_web::test]
async fn a_restore_refuses_a_damaged_file_another_key_and_a_used_directory() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.create_team("Kept").await;
    let file = app.dir.path().join("one.backup");
    let config = app.state.config.clone();
    let target = file.clone();
    actix_web::rt::task::spawn_blocking(move || agora::operate::backup(&config, &target))
        .await
        .unwrap()
        .unwrap();
    let old = app.stop().await;
    let key = old.path().join("agora.key");

    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(&key, fresh.path().join("agora.key")).unwrap();
    let config = settings_on(fresh.path(), &[]);

    // One byte changed in the middle: the checksum says so, nothing is written.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let damaged = fresh.path().join("damaged.backup");
    std::fs::write(&damaged, &bytes).unwrap();
    let data = fresh.path().join("data");
    let err = agora::operate::restore(&config, &damaged, &data).unwrap_err();
    assert!(err.contains("damaged"), "{err}");
    assert!(!data.exists(), "nothing was written");
    // Cut short.
    std::fs::write(&damaged, &std::fs::read(&file).unwrap()[..100]).unwrap();
    let err = agora::operate::restore(&config, &damaged, &data).unwrap_err();
    assert!(err.contains("damaged"), "{err}");
    // Not a backup at all.
    std::fs::write(&damaged, b"hello").unwrap();
    let err = agora::operate::restore(&config, &damaged, &data).unwrap_err();
    assert!(err.contains("not an Agora backup"), "{err}");

    // Another key.
    let other = tempfile::tempdir().unwrap();
    let other_config = settings_on(other.path(), &[]);
    std::fs::write(
        other.path().join("agora.key"),
        format!("{}\n", "ab".repeat(32)),
    )
    .unwrap();
    let err =
        agora::operate::restore(&other_config, &file, &other.path().join("data")).unwrap_err();
    assert!(err.contains("another master key"), "{err}");
    assert!(!other.path().join("data").exists());

    // A directory in use.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("something"), b"x").unwrap();
    let err = agora::operate::restore(&config, &file, &data).unwrap_err();
    assert!(err.contains("not empty"), "{err}");
    std::fs::remove_file(data.join("something")).unwrap();

    // The good file restores, and the team is there.
    agora::operate::restore(&config, &file, &data).unwrap();
    let app = spawn_in(fresh, &[]).await;
    let people = app.browser();
    assert_eq!(
        people.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        303
    );
    assert!(people.html("/admin/teams").await.contains("Kept"));
    app.stop().await;
}

/// The scheduled job's message: a backup into the directory, pruned to `keep`.
#[actix_web::test]
async fn the_scheduled_backup_writes_into_the_directory() {
    use actix::Actor;
    let app = spawn_app_with(&[("AGORA_BACKUP__KEEP", "1")]).await;
    app.admin().await;
    let scheduler = agora::scheduler::Scheduler::new(&app.state).start();
    for _ in 0..2 {
        scheduler
            .send(agora::scheduler::TakeBackup)
            .await
            .unwrap()
            .unwrap();
        app.advance(Duration::from_secs(5));
    }
    let files: Vec<_> = std::fs::read_dir(&app.state.config.backup.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let b = agora::store::backup::Backup::read(&files[0]).unwrap();
    assert!(b.header.entries >= 3, "{}", b.header.entries);
    assert!(app.state.backups.last().is_some());
    let audit = app.state.store.audit_count();
    assert!(audit >= 2);
    app.stop().await;
}

#[actix_web::test]
async fn the_platform_admin_backs_up_from_the_pages_and_old_ones_are_pruned() {
    let app = spawn_app_with(&[("AGORA_BACKUP__KEEP", "2")]).await;
    let admin = app.admin().await;
    let page = admin.html("/admin/backups").await;
    assert!(page.contains("No backups in this directory yet"), "{page}");
    for _ in 0..3 {
        let res = admin.submit("/admin/backups", "/admin/backups", &[]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/admin/backups");
        app.advance(Duration::from_secs(2));
    }
    let page = admin.html("/admin/backups").await;
    assert!(page.contains("Backup written"), "{page}");
    let files: Vec<_> = std::fs::read_dir(&app.state.config.backup.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "the newest two are kept: {files:?}");
    for f in &files {
        assert!(page.contains(f.as_str()), "{f} listed");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(app.state.config.backup.dir.join(f))
                .unwrap()
                .permissions(),
        );
        assert_eq!(
            mode & 0o777,
            0o600,
            "{f}: only the server's user reads a backup"
        );
        let b = agora::store::backup::Backup::read(&app.state.config.backup.dir.join(f)).unwrap();
        assert_eq!(b.header.schema_version, agora::store::SCHEMA_VERSION);
    }
    for dir in [&app.state.config.backup.dir, &app.state.config.storage.path] {
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir).unwrap().permissions());
        assert_eq!(
            mode & 0o777,
            0o700,
            "{} is the server's alone",
            dir.display()
        );
    }
    // A person who is not the platform admin sees no such page.
    let dev = app.member(&admin, "dev@example.com", "Dev", None).await;
    assert_eq!(dev.get("/admin/backups").await.status(), 404);
    app.stop().await;
}

/// Modes of everything under `dir` that the group or others may use.
fn open_to_others(dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.permissions().mode() & 0o077 != 0 {
            out.push(format!(
                "{} {:o}",
                entry.path().display(),
                meta.permissions().mode() & 0o777
            ));
        }
        if meta.is_dir() {
            out.extend(open_to_others(&entry.path()));
        }
    }
    out
}

/// The database's files are the server's alone, those it makes and those
/// an older version left readable by others.
#[actix_web::test]
async fn every_file_in_the_data_directory_is_the_servers_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.create_team("Files").await;
    let data = app.state.config.storage.path.clone();
    let dir = app.stop().await;
    assert!(
        std::fs::read_dir(&data).unwrap().count() > 1,
        "sled wrote files"
    );
    assert_eq!(open_to_others(&data), Vec::<String>::new());

    // What an older version left readable is tightened at the next start.
    for entry in std::fs::read_dir(&data).unwrap().flatten() {
        let mode = if entry.metadata().unwrap().is_dir() {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    assert!(!open_to_others(&data).is_empty());
    let app = spawn_in(dir, &[]).await;
    assert_eq!(open_to_others(&data), Vec::<String>::new());
    app.stop().await;
}
