//! What ships beside the binary says what the binary does: the licence
//! matches Cargo.toml, the systemd unit passes `systemd-analyze verify`
//! with its hardening in place, and the settings the unit and the
//! Dockerfile pass are ones `agora check-config` accepts.

use std::path::Path;
use std::process::Command;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The `AGORA_*` settings a file passes, as (key, value).
fn settings(text: &str, prefix: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(prefix))
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.starts_with("AGORA_"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn check_config(vars: &[(String, String)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
    cmd.arg("check-config").current_dir(dir.path());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AGORA_")) {
        cmd.env_remove(k);
    }
    let o = cmd.envs(vars.iter().cloned()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_licence_file_is_the_one_cargo_toml_names() {
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("license = \"Apache-2.0\""));
    let licence = read("LICENSE");
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0, January 2004"));
    let changelog = read("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("## {}", env!("CARGO_PKG_VERSION"))),
        "CHANGELOG.md has a section for this version"
    );
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit = read("dist/agora.service");
    for line in [
        "User=agora",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/agora",
        "ExecStart=/usr/local/bin/agora ",
    ] {
        assert!(unit.contains(line), "the unit has {line}");
    }
    let vars = settings(&unit, "Environment=");
    assert!(vars.len() >= 3);
    let effective = check_config(&vars);
    assert!(
        effective.contains("path = \"/var/lib/agora/db\""),
        "{effective}"
    );

    let Ok(o) = Command::new("systemd-analyze").arg("--version").output() else {
        assert!(
            std::env::var("CI").is_err(),
            "systemd-analyze is missing under CI (.ci/run installs systemd)"
        );
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    assert!(o.status.success());
    // Verified as installed, with the binary where the unit expects it.
    let dir = tempfile::tempdir().unwrap();
    let here = unit.replace("/usr/local/bin/agora", env!("CARGO_BIN_EXE_agora"));
    let path = dir.path().join("agora.service");
    std::fs::write(&path, here).unwrap();
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // It reports a bad line on stderr and still exits 0.
    let complaints: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("agora.service"))
        .collect();
    assert!(o.status.success() && complaints.is_empty(), "{err}");
}

#[test]
fn the_dockerfile_runs_unprivileged_with_its_data_on_a_volume() {
    let file = read("dist/Dockerfile");
    let last_stage = file.rsplit("\nFROM ").next().unwrap();
    assert!(last_stage.contains("\nUSER agora"), "not root");
    assert!(last_stage.contains("\nVOLUME /data"));
    assert!(last_stage.contains("HEALTHCHECK"));
    assert!(
        last_stage.contains("\"healthcheck\"]"),
        "the health check needs no curl"
    );
    let vars = settings(last_stage, "ENV ");
    let effective = check_config(&vars);
    assert!(effective.contains("bind = \"0.0.0.0:8080\""), "{effective}");
    assert!(effective.contains("path = \"/data/db\""), "{effective}");
    assert!(effective.contains("dir = \"/data/backups\""), "{effective}");
    // Every file the build copies is in the repository.
    for line in file
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(src).exists(),
                "{src} is copied by the Dockerfile"
            );
        }
    }
}
