//! Attacks through real proxies: nginx, Caddy and Traefik, each run with the
//! configuration docs/gateways.md prints, in front of two APIs of two
//! providers. A key for `/weather/` must never reach the billing upstream,
//! whatever headers and path encodings the caller crafts.
//!
//! Needs `nginx`, `caddy` and `traefik` (`.ci/run` installs them). Without
//! one, its test prints a notice and passes on a developer machine; under CI
//! (`CI` set) it fails instead.

mod common;

use std::process::Command;

use common::binary::free_port;
use common::proxy::{Proxy, TwoApis, binary, documented};
use common::*;

/// Runs the attack table off the async threads: its raw calls block, and
/// Agora answers on this same runtime.
async fn attack(apis: TwoApis, proxy: Proxy) {
    actix_web::rt::task::spawn_blocking(move || apis.attack(&proxy))
        .await
        .unwrap();
}

#[actix_web::test]
async fn nginx_with_the_documented_configuration_holds_against_the_attack_table() {
    let Some(bin) = binary("nginx", &["/usr/sbin/nginx", "/usr/local/sbin/nginx"]) else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let apis = TwoApis::set_up(&app, &admin).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let front = free_port();
    let server = apis
        .configure(&documented("nginx"), &app.base)
        .replace("listen 80;", &format!("listen 127.0.0.1:{front};"));
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\nevents {{ worker_connections 256; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         {server}\n}}\n"
    );
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("-p").arg(dir.path()).arg("-c").arg(&path);
    let proxy = Proxy::start(cmd, front, dir.path().join("stderr.log"));
    attack(apis, proxy).await;
}

#[actix_web::test]
async fn caddy_with_the_documented_configuration_holds_against_the_attack_table() {
    let Some(bin) = binary("caddy", &["/usr/bin/caddy"]) else {
        return;
    };
    let app = spawn_app_with(&[("AGORA_GATEWAY__PROXY", "caddy")]).await;
    let admin = app.admin().await;
    let apis = TwoApis::set_up(&app, &admin).await;
    let dir = tempfile::tempdir().unwrap();
    let front = free_port();
    let site = apis.configure(&documented("caddy"), &app.base).replacen(
        "api.example.com {",
        &format!("http://api.example.com:{front} {{\n    bind 127.0.0.1"),
        1,
    );
    // No admin endpoint and no certificates: nothing else listens or writes.
    let conf = format!("{{\n    admin off\n    auto_https off\n}}\n\n{site}");
    let path = dir.path().join("Caddyfile");
    std::fs::write(&path, conf).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("run")
        .arg("--adapter")
        .arg("caddyfile")
        .arg("--config")
        .arg(&path)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"));
    let proxy = Proxy::start(cmd, front, dir.path().join("stderr.log"));
    attack(apis, proxy).await;
}

#[actix_web::test]
async fn traefik_with_the_documented_configuration_holds_against_the_attack_table() {
    let Some(bin) = binary("traefik", &[]) else {
        return;
    };
    let app = spawn_app_with(&[("AGORA_GATEWAY__PROXY", "traefik")]).await;
    let admin = app.admin().await;
    let apis = TwoApis::set_up(&app, &admin).await;
    let dir = tempfile::tempdir().unwrap();
    let front = free_port();
    let routes = dir.path().join("agora.yml");
    std::fs::write(&routes, apis.configure(&documented("traefik"), &app.base)).unwrap();
    let static_conf = documented("traefik-static")
        .replace("\":80\"", &format!("\"127.0.0.1:{front}\""))
        .replace("/etc/traefik/agora.yml", &routes.display().to_string());
    let path = dir.path().join("traefik.yml");
    std::fs::write(&path, static_conf).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--configFile={}", path.display()))
        .env("HOME", dir.path());
    let proxy = Proxy::start(cmd, front, dir.path().join("stderr.log"));
    attack(apis, proxy).await;
}
