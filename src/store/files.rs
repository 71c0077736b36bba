//! The database directory's files belong to the server's user alone.

use std::path::Path;

/// Makes files created from now on the owner's alone, and tightens what is
/// already in the database directory (files 0600, folders 0700). The
/// directory itself keeps the mode its operator gave it.
pub(super) fn owners_alone(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                folders.push(entry.path());
            }
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                // What the group and others could do is taken away; the
                // owner keeps what they had.
                let owner = std::fs::Permissions::from_mode(mode & 0o700);
                let _ = std::fs::set_permissions(entry.path(), owner);
            }
        }
    }
}
