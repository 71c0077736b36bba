//! The control socket: a Unix socket beside the database through which
//! `agora backup` asks the running server for a backup. Only the server's
//! own user can reach it (mode 0600 in the database directory), so it needs
//! no token; nothing listens on the network for it.
//!
//! One request per connection, one line: `BACKUP`. The answer is one line,
//! `OK <bytes> <entries> <pause µs>` followed by the backup file's bytes, or
//! `ERR <message>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::ops::AppState;

const SOCKET: &str = "control.sock";
/// The longest request line read.
const MAX_LINE: u64 = 64;

/// Where the control socket of the database at `db` is.
pub fn socket_path(db: &Path) -> PathBuf {
    db.join(SOCKET)
}

/// The listening socket; stopping removes its file.
pub struct Control {
    path: PathBuf,
    task: actix_web::rt::task::JoinHandle<()>,
}

/// Listens on the control socket of the state's database.
pub fn start(state: &Arc<AppState>) -> std::io::Result<Control> {
    let path = socket_path(&state.config.storage.path);
    // A socket left by a server that was killed: nobody listens there, since
    // sled's lock on the directory keeps a second server out.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    set_owner_only(&path)?;
    let weak = Arc::downgrade(state);
    let task = actix_web::rt::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let Some(state) = weak.upgrade() else {
                return;
            };
            actix_web::rt::spawn(async move {
                if let Err(e) = answer(&state, stream).await {
                    tracing::warn!(error = %e, "control socket request");
                }
            });
        }
    });
    Ok(Control { path, task })
}

impl Control {
    pub fn stop(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

fn set_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

async fn answer(state: &AppState, stream: UnixStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_LINE))
        .read_line(&mut line)
        .await?;
    if line.trim() != "BACKUP" {
        write
            .write_all(b"ERR unknown request; this socket answers BACKUP\n")
            .await?;
        return Ok(());
    }
    match crate::ops::backup::back_up_bytes(state, None).await {
        Ok((bytes, report)) => {
            let head = format!(
                "OK {} {} {}\n",
                bytes.len(),
                report.entries,
                report.pause.as_micros()
            );
            write.write_all(head.as_bytes()).await?;
            write.write_all(&bytes).await?;
        }
        Err(e) => {
            let message = e.to_string().replace('\n', " ");
            write
                .write_all(format!("ERR {message}\n").as_bytes())
                .await?;
        }
    }
    write.shutdown().await
}
