//! Delivery throughput: 5,000 webhook events to a receiver on 127.0.0.1
//! (signed, each attempt recorded and flushed), and 1,000 emails to a
//! local SMTP server (Debian's aiosmtpd), through the outbox and the
//! courier as the running server sends them.
//!
//! Run: `cargo bench --bench deliveries`. Results go in docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use agora::domain::delivery::{Call, Channel, Delivery, Email};
use common::mail::Smtp;
use common::receiver::Receiver;
use common::*;

const EVENTS: usize = 5_000;
const EMAILS: usize = 1_000;

async fn events() -> f64 {
    let app = spawn_app_with(&[
        ("AGORA_LOG__LEVEL", "error"),
        ("AGORA_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
    ])
    .await;
    let admin = app.admin().await;
    let team = admin.create_team("Hooks").await;
    let rx = Receiver::start();
    let page = format!("/teams/{team}/webhooks");
    let res = admin
        .submit(
            &page,
            &page,
            &[("url", &rx.url), ("events", "credential.created")],
        )
        .await;
    let endpoint = location(&res)
        .split('/')
        .rev()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let now = app.state.clock.now();
    let list: Vec<Delivery> = (0..EVENTS)
        .map(|i| {
            let body = format!(
                r#"{{"type":"credential.created","timestamp":"2026-01-01T00:00:00Z","data":{{"n":{i}}}}}"#
            );
            Delivery::new(
                Channel::Webhook(Call {
                    endpoint,
                    event: "credential.created".into(),
                    body,
                }),
                now,
            )
        })
        .collect();
    let started = Instant::now();
    app.state.store.put_deliveries(&list).unwrap();
    app.state.store.wake_courier();
    while rx.calls().len() < EVENTS {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} of {EVENTS}",
            rx.calls().len()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = EVENTS as f64 / started.elapsed().as_secs_f64();
    app.stop().await;
    rate
}

async fn emails() -> f64 {
    let smtp = Smtp::start();
    let env = smtp.env();
    let mut pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.push(("AGORA_LOG__LEVEL", "error"));
    let app = spawn_app_with(&pairs).await;
    let now = app.state.clock.now();
    let list: Vec<Delivery> = (0..EMAILS)
        .map(|i| {
            Delivery::new(
                Channel::Email(Email {
                    to: format!("person{i}@example.test"),
                    subject: format!("Credential k{i} is active."),
                    text: format!("Credential k{i} is active."),
                    link: Some("/notifications".into()),
                }),
                now,
            )
        })
        .collect();
    let started = Instant::now();
    app.state.store.put_deliveries(&list).unwrap();
    app.state.store.wake_courier();
    loop {
        let n = std::fs::read_dir(smtp.dir.path().join("mail/new"))
            .map(|d| d.count())
            .unwrap_or(0);
        if n >= EMAILS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{n} of {EMAILS}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let rate = EMAILS as f64 / started.elapsed().as_secs_f64();
    app.stop().await;
    rate
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let events = events().await;
        let emails = if common::mail::available() {
            format!("{:.0}/s", emails().await)
        } else {
            "skipped (no aiosmtpd)".to_owned()
        };
        println!("| what | count | throughput |");
        println!("|---|---|---|");
        println!("| webhook events to a receiver on 127.0.0.1 | {EVENTS} | {events:.0}/s |");
        println!("| emails to aiosmtpd on 127.0.0.1 | {EMAILS} | {emails} |");
    });
}
