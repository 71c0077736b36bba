//! The operator's commands beside `serve`: `backup` (asks the running
//! server through its control socket), `restore` and `check-data` (offline),
//! and `healthcheck` (asks the running server's `/livez`, for container
//! health checks without curl). Each answers one line for people and
//! scripts alike.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::store::backup::{self, Backup};

/// How long `backup` waits for the server's answer to start (the snapshot).
const BACKUP_WAIT: Duration = Duration::from_secs(600);

/// Asks the running server for a backup and writes it to `to`, checked.
pub fn backup(config: &Config, to: &Path) -> Result<String, String> {
    let socket = crate::control::socket_path(&config.storage.path);
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).map_err(|e| {
        format!(
            "no running Agora answers at {} ({e}); start the server, and run this as its user",
            socket.display()
        )
    })?;
    stream
        .set_read_timeout(Some(BACKUP_WAIT))
        .map_err(|e| e.to_string())?;
    stream.write_all(b"BACKUP\n").map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader
        .read_line(&mut head)
        .map_err(|e| format!("the server did not answer: {e}"))?;
    let head = head.trim_end();
    let Some(rest) = head.strip_prefix("OK ") else {
        let why = head.strip_prefix("ERR ").unwrap_or(head);
        return Err(format!("the server did not make a backup: {why}"));
    };
    let mut fields = rest.split(' ').map(str::parse::<u64>);
    let (Some(Ok(len)), Some(Ok(entries)), Some(Ok(pause_us))) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("the server's answer is not understood: {head}"));
    };
    // Grown as it arrives: the announced length is not trusted for memory.
    let mut bytes = Vec::with_capacity(len.min(64 << 20) as usize);
    reader
        .take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("the backup was cut off: {e}"))?;
    if bytes.len() as u64 != len {
        return Err(format!(
            "the backup was cut off after {} of {len} bytes; nothing was written",
            bytes.len()
        ));
    }
    let shown = to.display().to_string();
    // Checked before it is kept: a file that would not restore is no backup.
    let checked = Backup::parse(bytes, &shown).map_err(|e| e.to_string())?;
    write_file(to, &checked).map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(format!(
        "backup written to {shown}: {len} bytes, {entries} entries; writes paused {:.1} ms",
        pause_us as f64 / 1e3
    ))
}

fn write_file(to: &Path, backup: &Backup) -> std::io::Result<()> {
    let tmp = to.with_extension("partial");
    let mut f = backup::private_file(&tmp)?;
    f.write_all(backup.bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, to)
}

/// Restores `file` into the empty directory `data` (offline).
pub fn restore(config: &Config, file: &Path, data: &Path) -> Result<String, String> {
    let shown = file.display().to_string();
    let backup = Backup::read(file).map_err(|e| match e {
        backup::BackupError::Io(io) => format!("cannot read {shown}: {io}"),
        other => other.to_string(),
    })?;
    let key_file = &config.security.master_key_file;
    let key = MasterKey::load(key_file).map_err(|e| e.to_string())?;
    let report =
        backup::restore(&backup, data, &key, &shown, key_file).map_err(|e| e.to_string())?;
    Ok(format!(
        "restored {shown} (made {}, schema {}) into {}: {} trees, {} entries; start Agora with storage.path = \"{}\"",
        backup.header.created_at,
        backup.header.schema_version,
        data.display(),
        report.trees,
        report.entries,
        data.display()
    ))
}

/// Checks the (stopped) server's database with its key.
pub fn check_data(config: &Config) -> Result<crate::store::DataReport, String> {
    let key_file = &config.security.master_key_file;
    let key = MasterKey::load(key_file).map_err(|e| e.to_string())?;
    if !config.storage.path.exists() {
        return Err(format!(
            "there is no database at {}",
            config.storage.path.display()
        ));
    }
    let store = crate::store::Store::open(&config.storage.path, &key, key_file)
        .map_err(|e| e.to_string())?;
    store.check_data(&key).map_err(|e| e.to_string())
}

/// Asks the server's `/livez` on its configured address.
pub fn healthcheck(config: &Config) -> Result<(), String> {
    let bind = config.server.bind;
    // A server bound to every address answers on loopback.
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, bind.port());
    let wait = Duration::from_secs(3);
    let mut s = TcpStream::connect_timeout(&addr, wait)
        .map_err(|e| format!("nothing answers at {addr}: {e}"))?;
    s.set_read_timeout(Some(wait)).map_err(|e| e.to_string())?;
    s.write_all(
        format!("GET /livez HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let _ = s.take(4096).read_to_end(&mut answer);
    let status = String::from_utf8_lossy(&answer);
    let line = status.lines().next().unwrap_or("");
    if line.starts_with("HTTP/1.1 200") || line.starts_with("HTTP/1.0 200") {
        Ok(())
    } else if line.is_empty() {
        Err(format!("{addr} did not answer"))
    } else {
        Err(format!("{addr} answered {line}"))
    }
}
