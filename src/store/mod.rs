//! Storage on sled. One tree per entity and per index (`<entity>_by_<index>`),
//! fixed-width big-endian keys, versioned values. Callers never see sled types.
//!
//! Writes are acknowledged only after [`Store::flush`]: sled otherwise keeps
//! them in memory for up to 500 ms, and a crash would lose them.

/// Names the trees one kind of transaction writes: a struct with one view
/// per tree, built from the same list that names the store's trees, so a
/// view can never stand for another tree when the list changes.
macro_rules! tx_trees {
    ($(#[$doc:meta])* $name:ident { $($tree:ident),+ $(,)? }) => {
        $(#[$doc])*
        pub(super) struct $name<'t> {
            $(pub(super) $tree: &'t sled::transaction::TransactionalTree,)+
        }

        impl<'t> $name<'t> {
            /// The store's trees, in the order `of` reads their views.
            pub(super) fn trees(store: &super::Store) -> Vec<&sled::Tree> {
                vec![$(&store.$tree),+]
            }

            /// The views of one transaction over [`Self::trees`].
            pub(super) fn of(views: &'t [sled::transaction::TransactionalTree]) -> Self {
                let mut views = views.iter();
                Self {
                    // `trees` lists exactly these fields, so there is a view for each.
                    $($tree: views.next().expect("one view per named tree"),)+
                }
            }
        }
    };
}

mod access;
mod audit;
pub mod backup;
mod check;
mod flush;
mod gate;
mod placed;
pub(crate) use gate::Writing;
pub mod migrate;
pub use check::DataReport;
pub use flush::FlushStats;
mod cache;
mod catalog;
pub(crate) mod codec;
mod credentials;
mod deliveries;
mod embedded;
mod files;
mod invitations;
mod notifications;
mod once;
mod resets;
mod sessions;
mod subscriptions;
mod teams;
mod tokens;
mod usage;
mod users;
mod webhooks;
mod work;

pub use embedded::{EmbeddedChange, EmbeddedCredential};
pub use notifications::UNREAD_CAP;
pub use once::{Binding, Claim};
pub use work::{AppWrite, Changes, SealedSecret};

use std::path::Path;
use std::sync::Arc;

pub use invitations::Invitation;
pub use resets::{Reset, ResetLink};
pub use sessions::Session;
pub use usage::{UsageOf, UsageRow};

use crate::crypto::master_key::MasterKey;
use crate::domain::credential::Credential;
use crate::domain::ids::{ApplicationId, UserId};

/// A copy of the master key's check value beside the database, read before
/// sled opens it, so a wrong key is refused without touching any file.
const KEY_CHECK_FILE: &str = "key-check";

fn write_key_check(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(format!("{}\n", hex::encode(key.check_value())).as_bytes())?;
    f.sync_all()
}

/// sled's page cache. Its default (1 GiB) lets a large database fill memory;
/// hot data lives in Agora's own in-memory indexes anyway.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// People whose unread counts are kept in memory at most.
const UNREAD_PEOPLE: usize = 100_000;

/// Credentials kept decoded in memory for application pages, at most (a few MB).
const CACHED_CREDENTIALS: usize = 10_000;

/// The layout this code reads and writes. Bumped by a migration.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sled::Error),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Conflict(#[from] Conflict),
}

/// A write refused because it would break a uniqueness rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error("A team with this name already exists.")]
    TeamNameTaken,
    #[error("Agora is already set up.")]
    SetupDone,
    #[error("This person is already a member of the team.")]
    AlreadyMember,
    #[error("The route {route} is already used on the data plane {dataplane}.")]
    RouteTaken { route: String, dataplane: String },
    #[error(
        "The route {route} overlaps {other}, which another product uses on the data plane {dataplane}: routes of different products may not lie inside one another."
    )]
    RouteNested {
        route: String,
        other: String,
        dataplane: String,
    },
    #[error("Your team already has a live subscription to this plan.")]
    AlreadySubscribed,
    #[error("The team already has an application with this name.")]
    ApplicationNameTaken,
    #[error("This application already has a request for this resource through this subscription.")]
    AlreadyRequested,
    #[error("Not found.")]
    Missing,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "cannot open the database at {path}: {source}; check that storage.path points at a writable directory and that no other Agora uses it"
    )]
    Open { path: String, source: sled::Error },
    #[error(
        "the master key in {key_file} does not match the key this database at {path} was created with. Nothing was changed. Point security.master_key_file (AGORA_SECURITY__MASTER_KEY_FILE) at the original key file"
    )]
    KeyMismatch { path: String, key_file: String },
    #[error(
        "the database at {path} has schema version {found}, newer than this Agora understands ({SCHEMA_VERSION}); run the newer Agora, or restore a backup"
    )]
    TooNew { path: String, found: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    user: sled::Tree,
    user_by_email: sled::Tree,
    session: sled::Tree,
    session_by_user: sled::Tree,
    invitation: sled::Tree,
    invitation_by_user: sled::Tree,
    password_reset: sled::Tree,
    password_reset_by_user: sled::Tree,
    team: sled::Tree,
    team_by_name: sled::Tree,
    membership: sled::Tree,
    membership_by_user: sled::Tree,
    audit: sled::Tree,
    audit_by_team: sled::Tree,
    audit_by_subject: sled::Tree,
    product: sled::Tree,
    product_by_provider: sled::Tree,
    resource: sled::Tree,
    resource_by_route: sled::Tree,
    plan: sled::Tree,
    subscription: sled::Tree,
    subscription_by_team: sled::Tree,
    subscription_by_provider: sled::Tree,
    subscription_live: sled::Tree,
    application: sled::Tree,
    application_by_team: sled::Tree,
    application_by_name: sled::Tree,
    access: sled::Tree,
    access_by_app: sled::Tree,
    access_by_subscription: sled::Tree,
    access_by_resource: sled::Tree,
    access_by_provider: sled::Tree,
    access_live: sled::Tree,
    outbox: sled::Tree,
    outbox_due: sled::Tree,
    outbox_waiting: sled::Tree,
    outbox_failed: sled::Tree,
    /// The embedded data plane's own trees: what its gateway checks.
    credential: sled::Tree,
    credential_by_app: sled::Tree,
    credential_by_resource: sled::Tree,
    credential_by_provider: sled::Tree,
    credential_by_key: sled::Tree,
    credential_secret: sled::Tree,
    secret_purge: sled::Tree,
    credential_last_used: sled::Tree,
    /// Calls counted per bucket (see `usage.rs`).
    usage: sled::Tree,
    usage_by_resource: sled::Tree,
    /// Live credentials by the instant their lifetime ends (value: team).
    credential_expiry: sled::Tree,
    /// Credentials by the instant their next reminder falls due (value: team).
    credential_reminder: sled::Tree,
    embedded_access: sled::Tree,
    embedded_applied: sled::Tree,
    embedded_credential: sled::Tree,
    notification: sled::Tree,
    notification_unread: sled::Tree,
    window_notice: sled::Tree,
    request_once: sled::Tree,
    api_token: sled::Tree,
    api_token_by_owner: sled::Tree,
    /// The delivery outbox: emails and webhook calls.
    delivery: sled::Tree,
    delivery_due: sled::Tree,
    delivery_by_endpoint: sled::Tree,
    webhook_endpoint: sled::Tree,
    webhook_endpoint_by_team: sled::Tree,
    /// Each team's endpoints, in memory.
    hooks: Arc<webhooks::Hooks>,
    /// Groups concurrent flushes (see [`Store::flush`]).
    flusher: Arc<flush::Flusher>,
    /// Whether email is set up: notifications become emails only then.
    mail: Arc<std::sync::atomic::AtomicBool>,
    /// Woken when deliveries are written, so the courier sends them at once.
    deliveries_written: Arc<tokio::sync::Notify>,
    /// Unread counts of the header badge, kept between notification changes.
    unread: Arc<cache::Versioned<UserId, usize>>,
    /// Each application's credentials as its page shows them, kept between
    /// changes to them.
    app_credentials: Arc<cache::Versioned<ApplicationId, Arc<[Credential]>>>,
    /// Held while a route is checked against its neighbours and claimed: the
    /// check scans `resource_by_route`, which a sled transaction cannot.
    route_claims: Arc<std::sync::Mutex<()>>,
    /// Every write holds it shared; a backup's snapshot holds it alone, so
    /// the snapshot sees all of a transaction or none of it.
    gate: Arc<std::sync::RwLock<()>>,
    /// Taken by each transaction and each flush (see `flush::Turns`).
    turns: flush::Turns,
}

impl Store {
    /// Opens (or creates) the database and checks it belongs to `key`: a
    /// mismatch is refused before anything is written.
    /// Opens (or makes) the database at `path`. Every file Agora writes from
    /// here on is its user's alone (umask 077), and files an older Agora
    /// left readable by others are made so.
    pub fn open(path: &Path, key: &MasterKey, key_file: &Path) -> Result<Self, OpenError> {
        let shown = path.display().to_string();
        // Checked before sled opens the directory: opening alone writes files.
        let kcv_file = path.join(KEY_CHECK_FILE);
        match std::fs::read_to_string(&kcv_file) {
            Ok(stored) if stored.trim() != hex::encode(key.check_value()) => {
                return Err(OpenError::KeyMismatch {
                    path: shown,
                    key_file: key_file.display().to_string(),
                });
            }
            _ => {}
        }
        let new = !path.exists();
        files::owners_alone(path);
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|source| OpenError::Open {
                path: shown.clone(),
                source,
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| OpenError::Store(e.into()));
        let webhook_endpoint = tree("webhook_endpoint")?;
        let hooks = Arc::new(webhooks::Hooks::load(&webhook_endpoint).map_err(OpenError::Store)?);
        let turns = flush::Turns::default();
        let store = Store {
            meta: tree("meta")?,
            user: tree("user")?,
            user_by_email: tree("user_by_email")?,
            session: tree("session")?,
            session_by_user: tree("session_by_user")?,
            invitation: tree("invitation")?,
            invitation_by_user: tree("invitation_by_user")?,
            password_reset: tree("password_reset")?,
            password_reset_by_user: tree("password_reset_by_user")?,
            team: tree("team")?,
            team_by_name: tree("team_by_name")?,
            membership: tree("membership")?,
            membership_by_user: tree("membership_by_user")?,
            audit: tree("audit")?,
            audit_by_team: tree("audit_by_team")?,
            audit_by_subject: tree("audit_by_subject")?,
            product: tree("product")?,
            product_by_provider: tree("product_by_provider")?,
            resource: tree("resource")?,
            resource_by_route: tree("resource_by_route")?,
            plan: tree("plan")?,
            subscription: tree("subscription")?,
            subscription_by_team: tree("subscription_by_team")?,
            subscription_by_provider: tree("subscription_by_provider")?,
            subscription_live: tree("subscription_live")?,
            application: tree("application")?,
            application_by_team: tree("application_by_team")?,
            application_by_name: tree("application_by_name")?,
            access: tree("access")?,
            access_by_app: tree("access_by_app")?,
            access_by_subscription: tree("access_by_subscription")?,
            access_by_resource: tree("access_by_resource")?,
            access_by_provider: tree("access_by_provider")?,
            access_live: tree("access_live")?,
            outbox: tree("outbox")?,
            outbox_due: tree("outbox_due")?,
            outbox_waiting: tree("outbox_waiting")?,
            outbox_failed: tree("outbox_failed")?,
            credential: tree("credential")?,
            credential_by_app: tree("credential_by_app")?,
            credential_by_resource: tree("credential_by_resource")?,
            credential_by_provider: tree("credential_by_provider")?,
            credential_by_key: tree("credential_by_key")?,
            credential_secret: tree("credential_secret")?,
            secret_purge: tree("secret_purge")?,
            credential_last_used: tree("credential_last_used")?,
            usage: tree("usage")?,
            usage_by_resource: tree("usage_by_resource")?,
            credential_expiry: tree("credential_expiry")?,
            credential_reminder: tree("credential_reminder")?,
            embedded_credential: tree("embedded_credential")?,
            notification: tree("notification")?,
            notification_unread: tree("notification_unread")?,
            window_notice: tree("window_notice")?,
            request_once: tree("request_once")?,
            api_token: tree("api_token")?,
            api_token_by_owner: tree("api_token_by_owner")?,
            delivery: tree("delivery")?,
            delivery_due: tree("delivery_due")?,
            delivery_by_endpoint: tree("delivery_by_endpoint")?,
            webhook_endpoint,
            hooks,
            webhook_endpoint_by_team: tree("webhook_endpoint_by_team")?,
            mail: Arc::default(),
            flusher: Arc::new(
                flush::Flusher::start(db.clone(), turns.clone()).map_err(|e| {
                    OpenError::Store(StoreError::Corrupt(format!(
                        "the flushing thread could not start: {e}"
                    )))
                })?,
            ),
            deliveries_written: Arc::default(),
            unread: Arc::new(cache::Versioned::new(UNREAD_PEOPLE)),
            app_credentials: Arc::new(cache::Versioned::new(CACHED_CREDENTIALS)),
            route_claims: Arc::default(),
            gate: Arc::default(),
            turns,
            embedded_access: tree("embedded_access")?,
            embedded_applied: tree("embedded_applied")?,
            db,
        };
        if new {
            // A database Agora makes is for its user alone (an operator's own
            // directory keeps the mode it was given).
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700));
        }
        store.check_meta(key, &shown, key_file)?;
        if !kcv_file.exists() {
            write_key_check(&kcv_file, key).map_err(|e| {
                OpenError::Store(StoreError::Corrupt(format!(
                    "cannot write {}: {e}",
                    kcv_file.display()
                )))
            })?;
        }
        Ok(store)
    }

    fn check_meta(&self, key: &MasterKey, path: &str, key_file: &Path) -> Result<(), OpenError> {
        let kcv = key.check_value();
        match self.meta.get("key_check").map_err(StoreError::from)? {
            Some(stored) if stored.as_ref() != kcv => {
                return Err(OpenError::KeyMismatch {
                    path: path.to_owned(),
                    key_file: key_file.display().to_string(),
                });
            }
            Some(_) => {}
            None => {
                // First start: claim the database for this key, atomically.
                let claimed = self
                    .meta
                    .compare_and_swap("key_check", None as Option<&[u8]>, Some(&kcv[..]))
                    .map_err(StoreError::from)?;
                if claimed.is_err() {
                    return self.check_meta(key, path, key_file);
                }
            }
        }
        match self.meta.get("schema_version").map_err(StoreError::from)? {
            Some(v) => {
                let found = u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0xff; 4]));
                if found > SCHEMA_VERSION {
                    return Err(OpenError::TooNew {
                        path: path.to_owned(),
                        found,
                    });
                }
            }
            None => {
                // A new database has the newest layout: no step is pending.
                self.meta
                    .insert("schema_version", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(StoreError::from)?;
                for m in migrate::MIGRATIONS {
                    self.meta
                        .insert(migrate::record(m.id), &b"new database"[..])
                        .map_err(StoreError::from)?;
                }
            }
        }
        self.db.flush().map_err(StoreError::from)?;
        Ok(())
    }

    /// Held by every write for its duration: a backup's snapshot waits for
    /// the writes under way and holds the next ones back while it copies.
    /// A write takes it once, at its outermost function (see `Writing`).
    pub(crate) fn writing(&self) -> Writing<'_> {
        Writing::enter(&self.gate)
    }

    /// Answers when the database can be read.
    pub fn health(&self) -> Result<(), StoreError> {
        self.meta.get("schema_version")?;
        Ok(())
    }
}

/// Concatenates fixed-width key parts.
pub(crate) fn key<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    for part in parts {
        out[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    debug_assert_eq!(at, N, "key parts must fill the key");
    out
}

type TxResult<T> = Result<T, sled::transaction::ConflictableTransactionError<Conflict>>;

fn abort<T>(c: Conflict) -> TxResult<T> {
    Err(sled::transaction::ConflictableTransactionError::Abort(c))
}

fn tx_encode<T: serde::Serialize>(v: &T) -> TxResult<Vec<u8>> {
    codec::encode(v).map_err(|e| {
        sled::transaction::ConflictableTransactionError::Storage(sled::Error::Unsupported(
            e.to_string(),
        ))
    })
}

fn tx_decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> TxResult<T> {
    codec::decode(bytes).map_err(|e| {
        sled::transaction::ConflictableTransactionError::Storage(sled::Error::Unsupported(
            e.to_string(),
        ))
    })
}

fn from_tx<T>(
    r: Result<T, sled::transaction::TransactionError<Conflict>>,
) -> Result<T, StoreError> {
    match r {
        Ok(v) => Ok(v),
        Err(sled::transaction::TransactionError::Abort(c)) => Err(StoreError::Conflict(c)),
        Err(sled::transaction::TransactionError::Storage(e)) => Err(StoreError::Db(e)),
    }
}

#[cfg(test)]
mod tests;
