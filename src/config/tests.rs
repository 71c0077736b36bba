use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn error_of(toml: &str, vars: &[(&str, &str)]) -> String {
    Config::from_toml(toml, env(vars))
        .expect_err("should be refused")
        .to_string()
}

#[test]
fn defaults_serve_on_localhost_8080_with_data_in_data() {
    let c = Config::from_toml("", env(&[])).unwrap();
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.public_url, None);
    assert_eq!(c.storage.path, PathBuf::from("data"));
    assert_eq!(c.security.invitation_ttl, Duration::from_secs(3 * 86_400));
}

#[test]
fn environment_overrides_the_file() {
    let c = Config::from_toml(
        "[server]\nbind = \"127.0.0.1:7000\"\n[storage]\npath = \"/srv/a\"",
        env(&[
            ("AGORA_SERVER__BIND", "127.0.0.1:9000"),
            ("AGORA_STORAGE__PATH", "/var/lib/agora"),
            ("AGORA_SERVER__SECURE_COOKIES", "true"),
            ("AGORA_SECURITY__SESSION_IDLE_TIMEOUT", "90s"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:9000");
    assert_eq!(c.storage.path, PathBuf::from("/var/lib/agora"));
    assert!(c.server.secure_cookies);
    assert_eq!(c.security.session_idle_timeout, Duration::from_secs(90));
}

#[test]
fn an_unknown_key_is_named_with_the_known_ones() {
    let e = error_of("[server]\nbnid = \"x\"", &[]);
    assert!(e.contains("unknown key server.bnid"), "{e}");
    assert!(e.contains("bind, public_url"), "{e}");
}

#[test]
fn an_unknown_section_or_env_key_is_refused() {
    let e = error_of("[srever]\nbind = \"x\"", &[]);
    assert!(e.contains("unknown section [srever]"), "{e}");
    let e = error_of("", &[("AGORA_SERVER__PORT", "1")]);
    assert!(e.contains("environment variable AGORA_SERVER__PORT"), "{e}");
    assert!(e.contains("unknown key server.port"), "{e}");
}

#[test]
fn a_bad_duration_names_the_key_and_the_fix() {
    let e = error_of("[security]\ninvitation_ttl = \"3 days\"", &[]);
    assert!(
        e.starts_with("security.invitation_ttl (from the given settings): '3 days' is not valid"),
        "{e}"
    );
    assert!(e.contains("\"3d\""), "{e}");
    let e = error_of("", &[("AGORA_SECURITY__SESSION_LIFETIME", "0")]);
    assert!(
        e.contains(
            "security.session_lifetime (from environment variable AGORA_SECURITY__SESSION_LIFETIME)"
        ),
        "{e}"
    );
    assert!(e.contains("longer than zero"), "{e}");
}

#[test]
fn a_bad_address_names_the_key_and_an_example() {
    let e = error_of("", &[("AGORA_SERVER__BIND", "localhost")]);
    assert_eq!(
        e,
        "server.bind (from environment variable AGORA_SERVER__BIND): 'localhost' is not valid: put an address and port there, e.g. \"127.0.0.1:8080\""
    );
}

#[test]
fn wrong_types_and_ranges_are_explained() {
    let e = error_of("[server]\nsecure_cookies = \"yes\"", &[]);
    assert!(
        e.contains("server.secure_cookies") && e.contains("put true or false"),
        "{e}"
    );
    let e = error_of("[security]\npassword_hash_concurrency = 0", &[]);
    assert!(
        e.contains("out of range: put a whole number from 1 to 64"),
        "{e}"
    );
    let e = error_of("[log]\nlevel = \"agora=loud\"", &[]);
    assert!(e.contains("log.level") && e.contains("put a level"), "{e}");
    let e = error_of("[log]\nlevel = \"loud\"", &[]);
    assert!(e.contains("log.level") && e.contains("put a level"), "{e}");
    let e = error_of("[server", &[]);
    assert!(e.contains("is not valid TOML"), "{e}");
}

#[test]
fn a_missing_explicit_file_is_refused() {
    let e = Config::load(Some(Path::new("/nonexistent/agora.toml")), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot read the config file /nonexistent/agora.toml"),
        "{e}"
    );
}

#[test]
fn the_shipped_config_file_is_valid_and_explains_every_key() {
    let shipped = include_str!("../../config.toml");
    Config::from_toml(shipped, env(&[])).expect("shipped config.toml must load");
    for (section, keys) in SCHEMA {
        assert!(
            shipped.contains(&format!("[{section}]")),
            "config.toml lacks [{section}]"
        );
        for key in *keys {
            assert!(
                shipped.contains(&format!("{key} =")),
                "config.toml lacks {section}.{key}"
            );
        }
    }
}

#[test]
fn describe_round_trips_through_the_loader() {
    let c = Config::from_toml("", env(&[("AGORA_SECURITY__INVITATION_TTL", "1h30m")])).unwrap();
    let again = Config::from_toml(&c.describe(), env(&[])).unwrap();
    assert_eq!(again.describe(), c.describe());
}

#[test]
fn data_planes_come_from_tables_and_embedded_is_always_there() {
    let c = Config::from_toml(
        "[dataplanes.partner-gw]\nkind = \"manual\"",
        env(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]),
    )
    .unwrap();
    assert_eq!(c.dataplane_names(), ["embedded", "ops", "partner-gw"]);
    assert_eq!(c.dataplanes[2].kind, DataPlaneKind::Manual);
    assert_eq!(
        Config::from_toml("", env(&[])).unwrap().dataplane_names(),
        ["embedded"]
    );
    assert!(
        c.describe()
            .contains("[dataplanes.partner-gw]\nkind = \"manual\"")
    );
}

#[test]
fn bad_data_planes_are_refused_by_name() {
    let e = error_of("[dataplanes.gw]\nkind = \"kong\"", &[]);
    assert!(
        e.contains("dataplanes.gw.kind") && e.contains("'kong'"),
        "{e}"
    );
    let e = error_of("[dataplanes.gw]\ncolour = \"x\"\nkind = \"manual\"", &[]);
    assert!(
        e.contains("dataplanes.gw.colour") && e.contains("unknown key"),
        "{e}"
    );
    let e = error_of(
        "[dataplanes.gw]\nurl = \"http://x\"\nkind = \"manual\"",
        &[],
    );
    assert!(
        e.contains("dataplanes.gw.url") && e.contains("only a webhook"),
        "{e}"
    );
    let e = error_of("[dataplanes.gw]\n", &[]);
    assert!(e.contains("needs a kind"), "{e}");
    let e = error_of("[dataplanes.embedded]\nkind = \"manual\"", &[]);
    assert!(e.contains("only the data plane named \"embedded\""), "{e}");
    let e = error_of("[dataplanes.Big]\nkind = \"manual\"", &[]);
    assert!(e.contains("lowercase letter"), "{e}");
}

#[test]
fn provisioning_retries_are_checked() {
    let c = Config::from_toml("", env(&[])).unwrap();
    assert_eq!(c.provisioning.interval, Duration::from_secs(2));
    assert_eq!(c.provisioning.max_attempts, 8);
    let e = error_of("[provisioning]\ninterval = \"1500ms\"", &[]);
    assert!(e.contains("provisioning.interval"), "{e}");
    let e = error_of(
        "[provisioning]\nretry_base = \"1h\"\nretry_cap = \"1m\"",
        &[],
    );
    assert!(e.contains("retry_cap"), "{e}");
    let e = error_of("[provisioning]\nmax_attempts = 0", &[]);
    assert!(e.contains("provisioning.max_attempts"), "{e}");
}

#[test]
fn a_webhook_data_plane_needs_its_url_and_a_signing_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("agent.secret");
    std::fs::write(&secret, "0123456789abcdef0123456789abcdef\n").unwrap();
    let toml = format!(
        "[dataplanes.kong]\nkind = \"webhook\"\nurl = \"https://agent.example/\"\nsecret_file = \"{}\"\ntimeout = \"3s\"\nrenew = false",
        secret.display()
    );
    let c = Config::from_toml(&toml, env(&[])).unwrap();
    let w = c.dataplane("kong").unwrap().webhook.clone().unwrap();
    assert_eq!(w.url, "https://agent.example");
    assert_eq!(w.secret.0, b"0123456789abcdef0123456789abcdef");
    assert_eq!(w.timeout, Duration::from_secs(3));
    assert!(w.suspend && !w.renew && !w.generates_secrets);
    assert!(
        !format!("{w:?}").contains("0123456789"),
        "the secret is redacted"
    );
    assert!(!c.describe().contains("0123456789"));
    let e = error_of(
        "[dataplanes.kong]\nkind = \"webhook\"\nurl = \"https://a\"",
        &[],
    );
    assert!(e.contains("secret_file or secret_env"), "{e}");
    let e = error_of(
        "[dataplanes.kong]\nkind = \"webhook\"\nurl = \"ftp://a\"",
        &[],
    );
    assert!(e.contains("dataplanes.kong.url"), "{e}");
}

#[test]
fn backups_default_to_daily_and_can_be_turned_off() {
    let c = Config::from_toml("", env(&[])).unwrap();
    assert_eq!(c.backup.interval, Some(Duration::from_secs(86_400)));
    assert_eq!(c.backup.keep, 7);
    assert_eq!(c.backup.dir, PathBuf::from("backups"));
    let c = Config::from_toml("[backup]\ninterval = \"off\"\nkeep = 2", env(&[])).unwrap();
    assert_eq!((c.backup.interval, c.backup.keep), (None, 2));
    let e = error_of("[backup]\ninterval = \"30s\"", &[]);
    assert!(
        e.contains("backup.interval") && e.contains("a minute or more"),
        "{e}"
    );
    let e = error_of("[backup]\nkeep = 0", &[]);
    assert!(e.contains("backup.keep"), "{e}");
    let e = error_of("", &[("AGORA_LOG__FORMAT", "xml")]);
    assert!(e.contains("log.format") && e.contains("json"), "{e}");
    let e = error_of("[metrics]\ntoken_file = \"/nonexistent/token\"", &[]);
    assert!(e.contains("metrics.token_file"), "{e}");
}
