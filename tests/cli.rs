//! The `agora` command as a person runs it: errors are one clear line and a
//! non-zero exit, never a panic.

use std::path::Path;
use std::process::{Command, Output};

fn agora(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AGORA_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run agora")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_clean_failure(o: &Output, expected: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn version_and_help_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let o = agora(dir.path(), &["--version"], &[]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!(
            "agora {} (database schema {})",
            env!("CARGO_PKG_VERSION"),
            agora::store::SCHEMA_VERSION
        )
    );
    let help = String::from_utf8_lossy(&agora(dir.path(), &["--help"], &[]).stdout).into_owned();
    assert!(
        help.contains("serve") && help.contains("check-config") && help.contains("--config"),
        "{help}"
    );
}

#[test]
fn check_config_prints_the_effective_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[server]\nbind = \"127.0.0.1:7000\"\n",
    )
    .unwrap();
    let o = agora(
        dir.path(),
        &["check-config"],
        &[("AGORA_STORAGE__PATH", "/var/lib/agora")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("bind = \"127.0.0.1:7000\""), "{out}");
    assert!(out.contains("path = \"/var/lib/agora\""), "{out}");
    assert!(
        out.contains("master_key_file = \"agora.key\"  # contents not shown"),
        "{out}"
    );
    assert!(
        !dir.path().join("agora.key").exists(),
        "checking creates nothing"
    );
}

#[test]
fn configuration_errors_name_the_key_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let o = agora(
        dir.path(),
        &["check-config"],
        &[("AGORA_SERVER__BIND", "nowhere")],
    );
    assert_clean_failure(
        &o,
        "server.bind (from environment variable AGORA_SERVER__BIND): 'nowhere' is not valid: put an address and port there",
    );
    let o = agora(
        dir.path(),
        &["serve"],
        &[("AGORA_SECURITY__SESSION_IDLE_TIMEOUT", "soon")],
    );
    assert_clean_failure(&o, "security.session_idle_timeout");
    let o = agora(dir.path(), &[], &[("AGORA_SERVER__COLOUR", "blue")]);
    assert_clean_failure(&o, "unknown key server.colour");
    let o = agora(dir.path(), &["--config", "missing.toml"], &[]);
    assert_clean_failure(&o, "cannot read the config file missing.toml");
    std::fs::write(dir.path().join("bad.toml"), "[storage]\npath = 3.5\n").unwrap();
    let o = agora(dir.path(), &["check-config", "--config", "bad.toml"], &[]);
    assert_clean_failure(
        &o,
        "storage.path (from bad.toml): expected text, found float",
    );
}

#[test]
fn an_unreadable_or_malformed_key_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agora.key"), "short").unwrap();
    let o = agora(
        dir.path(),
        &["serve"],
        &[("AGORA_SERVER__BIND", "127.0.0.1:0")],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("security.master_key_file") && err.contains("64 hex characters"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let o = agora(
        dir.path(),
        &["serve"],
        &[
            ("AGORA_SERVER__BIND", "127.0.0.1:0"),
            ("AGORA_SECURITY__MASTER_KEY_FILE", "no/such/dir/agora.key"),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot create no/such/dir/agora.key"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_database_refuses_a_different_master_key_and_stays_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = agora::crypto::master_key::MasterKey::load_or_create(&dir.path().join("first.key"))
        .unwrap();
    {
        agora::store::Store::open(&data, &first, Path::new("first.key"))
            .unwrap()
            .flush_blocking()
            .unwrap();
    }
    let snapshot = |p: &Path| {
        let mut files: Vec<(String, String)> = walk(p)
            .into_iter()
            .map(|f| {
                (
                    f.display().to_string(),
                    format!("{:x?}", fingerprint(&std::fs::read(&f).unwrap())),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(&data);
    let o = agora(
        dir.path(),
        &["serve"],
        &[
            ("AGORA_SERVER__BIND", "127.0.0.1:0"),
            ("AGORA_SECURITY__MASTER_KEY_FILE", "second.key"),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("the master key in second.key does not match"),
        "{err}"
    );
    assert!(err.contains("Nothing was changed"), "{err}");
    assert_eq!(
        snapshot(&data),
        before,
        "the database files are byte for byte the same"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// A cheap fingerprint of a file's bytes, so a failure prints short lines.
fn fingerprint(bytes: &[u8]) -> (usize, u64) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    (bytes.len(), h)
}

/// A free loopback address for a server this test starts.
fn free_bind() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// `agora serve` in `dir` with `env`, once `agora healthcheck` passes; its
/// standard error is kept for [`stop`].
fn serve(dir: &Path, env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
    cmd.arg("serve").current_dir(dir);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AGORA_")) {
        cmd.env_remove(k);
    }
    let server = cmd
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !agora(dir, &["healthcheck"], env).status.success() {
        assert!(
            started.elapsed().as_secs() < 20,
            "the server did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server
}

/// Stops a server as systemd would (SIGTERM); returns what it logged.
fn stop(server: std::process::Child) -> String {
    let pid = server.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success(), "a clean stop");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The operator's round trip with the real binary: serve, healthcheck,
/// backup through the control socket, stop, check-data, restore elsewhere.
#[test]
fn healthcheck_backup_check_data_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let bind = free_bind();
    let env = [
        ("AGORA_SERVER__BIND", bind.as_str()),
        ("AGORA_LOG__LEVEL", "error"),
    ];
    let o = agora(dir.path(), &["healthcheck"], &env);
    assert_eq!(o.status.code(), Some(1), "nothing runs yet");
    assert!(stderr(&o).contains("unhealthy"), "{}", stderr(&o));
    let server = serve(dir.path(), &env);

    let o = agora(dir.path(), &["backup", "--to", "first.backup"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.starts_with("backup written to first.backup") && out.contains("writes paused"),
        "{out}"
    );
    // The database cannot be checked while the server holds it.
    let o = agora(dir.path(), &["check-data"], &env);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    stop(server);
    let o = agora(dir.path(), &["backup", "--to", "second.backup"], &env);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no running Agora"), "{}", stderr(&o));

    let o = agora(dir.path(), &["check-data"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("consistent"));

    let o = agora(
        dir.path(),
        &["restore", "first.backup", "--data", "moved"],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = agora(
        dir.path(),
        &["check-data"],
        &[("AGORA_STORAGE__PATH", "moved")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = agora(
        dir.path(),
        &["restore", "first.backup", "--data", "moved"],
        &env,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
}

/// Serves with `log.format`, asks /livez, stops; returns what it logged.
fn served_log(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let bind = free_bind();
    let env = [
        ("AGORA_SERVER__BIND", bind.as_str()),
        ("AGORA_LOG__FORMAT", format),
    ];
    stop(serve(dir.path(), &env))
}

#[test]
fn request_lines_carry_the_same_fields_as_text_and_as_json() {
    let json = served_log("json");
    let line = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["route"] == "/livez")
        .unwrap_or_else(|| panic!("a JSON line for /livez in {json}"));
    assert_eq!(line["status"], 200);
    assert!(line["ms"].is_number(), "{line}");
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(
        line["span"]["id"].as_str().map(str::len),
        Some(16),
        "{line}"
    );
    assert!(
        json.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "every line is JSON: {json}"
    );

    let text = served_log("text");
    let line = text
        .lines()
        .find(|l| l.contains("route=/livez"))
        .unwrap_or_else(|| panic!("a line for /livez in {text}"));
    assert!(
        line.contains("status=200") && line.contains("ms="),
        "{line}"
    );
    assert!(
        line.contains("method=GET") && line.contains("id="),
        "{line}"
    );
}
