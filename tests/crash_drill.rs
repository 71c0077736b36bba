//! The crash drill: the `agora` binary serves while 8 clients create,
//! suspend, enable, renew and delete credentials; it is killed with SIGKILL
//! at random moments and restarted on the same data. After every restart:
//! the database opens, every change whose response was received is there,
//! nothing stays stuck, and the embedded data plane agrees with the portal.
//!
//! Ignored by default (it takes minutes). Run it on the release build:
//!
//! ```sh
//! AGORA_DRILL_CYCLES=100 cargo test --release --test crash_drill -- --ignored --nocapture
//! ```

mod common;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// The release binary on the drill's data, with quick provisioning retries.
fn start(dir: &std::path::Path, port: u16) -> common::binary::Binary {
    common::binary::Binary::start(
        dir,
        port,
        &[
            ("AGORA_PROVISIONING__INTERVAL", "1s"),
            ("AGORA_PROVISIONING__RETRY_BASE", "1s"),
            ("AGORA_PROVISIONING__RETRY_CAP", "2s"),
        ],
    )
    .0
}

/// What a client knows of one credential: every change it sent, in order,
/// and whether the answer came back.
#[derive(Default, Clone)]
struct Known {
    /// (desired state after the change, acknowledged)
    changes: Vec<(&'static str, bool)>,
    key: String,
    /// A renewal whose answer was lost: the key may have changed.
    key_unsure: bool,
}

#[actix_web::test]
#[ignore = "minutes long: run on the release build, see the file's header"]
async fn acknowledged_changes_survive_sigkill() {
    let cycles: usize = std::env::var("AGORA_DRILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), port);

    // Set up: a provider's product on the embedded data plane, a team with access.
    let admin = Browser::at(&base);
    let res = admin
        .submit(
            "/setup",
            "/setup",
            &[
                ("email", ADMIN_EMAIL),
                ("display_name", "Ada Admin"),
                ("password", ADMIN_PASSWORD),
                ("password_again", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let provider = admin.create_team("Weather provider").await;
    admin.make_provider(&provider).await;
    let product = admin
        .create_product(&provider, "Weather", "Forecasts", "")
        .await;
    let resource = admin
        .add_resource(&provider, &product, "Forecast", "/weather/", "automatic")
        .await;
    let plan = admin
        .add_plan(&provider, &product, "Standard", &[&resource], "automatic")
        .await;
    admin.publish(&provider, &product).await;
    let team = admin.create_team("Buyers").await;
    let sub = last_id(&admin.subscribe(&product, &plan, &team).await);
    let app = admin.create_application(&team, "Mobile").await;
    let res = admin
        .request_access(&product, &resource, &app, &sub, &[])
        .await;
    let access = location(&res).split('/').rev().nth(2).unwrap().to_owned();
    let h = Holder {
        c: Consumer {
            listing: Listing {
                provider,
                product,
                resource: resource.clone(),
                plan,
            },
            team: team.clone(),
            subscription: sub,
            application: app,
        },
        access,
    };

    let known: Arc<Mutex<HashMap<String, Known>>> = Arc::default();
    let (mut lost, mut stuck, mut disagree, mut changes_acked) = (0usize, 0usize, 0usize, 0usize);
    let rng = agora::crypto::random::unit;
    // Credential → how many of its changes the last check covered.
    let mut checked: HashMap<String, usize> = HashMap::new();
    for cycle in 0..cycles {
        // 8 clients work until the server dies under them.
        let mut clients = Vec::new();
        for _ in 0..8 {
            let b = Browser::at(&base);
            assert_eq!(
                b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
                303,
                "cycle {cycle}: sign in"
            );
            let (known, h_team, new_path) = (known.clone(), team.clone(), h.new_credential_path());
            clients.push(actix_web::rt::spawn(async move {
                let mut mine: Vec<String> = Vec::new();
                loop {
                    let pick = (agora::crypto::random::unit() * 5.0) as usize;
                    if mine.is_empty() || pick == 0 {
                        let Ok(token) = tokio_token(&b, &new_path).await else {
                            return;
                        };
                        // The server may die under this request: the client stops.
                        let res = b
                            .client
                            .post(format!("{}{new_path}", b.base))
                            .form(&[
                                ("csrf", token.as_str()),
                                ("name", "drill"),
                                ("kind", "api_key"),
                            ])
                            .send()
                            .await;
                        let Ok(res) = res else { return };
                        if res.status() != 303 {
                            return;
                        }
                        // The secret is on the GET page the create leads to.
                        let to = location(&res);
                        let Ok(page) = b.client.get(format!("{}{to}", b.base)).send().await else {
                            return;
                        };
                        let Ok(html) = page.text().await else { return };
                        let key = input_value(&html, "secret");
                        let marker = format!("/teams/{h_team}/credentials/");
                        let id = ids_after(&html, &marker).into_iter().next().unwrap();
                        known.lock().unwrap().insert(
                            id.clone(),
                            Known {
                                changes: vec![("active", true)],
                                key,
                                key_unsure: false,
                            },
                        );
                        mine.push(id);
                        continue;
                    }
                    let id =
                        mine[(agora::crypto::random::unit() * mine.len() as f64) as usize].clone();
                    let (verb, after) = match pick {
                        1 => ("suspend", "inactive"),
                        2 => ("enable", "active"),
                        3 => ("renew", "same"),
                        _ => ("delete", "deleted"),
                    };
                    let panel = format!("/teams/{h_team}/credentials/{id}");
                    let Ok(token) = tokio_token(&b, "/notifications").await else {
                        return;
                    };
                    let at = {
                        let mut k = known.lock().unwrap();
                        let e = k.get_mut(&id).unwrap();
                        if e.changes.last().is_some_and(|(s, _)| *s == "deleted") {
                            continue;
                        }
                        let next = if after == "same" {
                            e.changes.last().unwrap().0
                        } else {
                            after
                        };
                        e.changes.push((next, false));
                        if verb == "renew" {
                            e.key_unsure = true;
                        }
                        e.changes.len() - 1
                    };
                    let res = b
                        .client
                        .post(format!("{}{panel}/{verb}", b.base))
                        .form(&[
                            ("csrf", token.as_str()),
                            ("confirmed", "yes"),
                            ("grace", "none"),
                        ])
                        .send()
                        .await;
                    let Ok(res) = res else { return };
                    let status = res.status().as_u16();
                    let to = res
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    // A renewal's new secret is on the GET page it leads to.
                    let body = if to.ends_with("/secret") {
                        match b.client.get(format!("{}{to}", b.base)).send().await {
                            Ok(page) => page.text().await.unwrap_or_default(),
                            Err(_) => String::new(),
                        }
                    } else {
                        String::new()
                    };
                    let mut k = known.lock().unwrap();
                    let e = k.get_mut(&id).unwrap();
                    if (200..400).contains(&status) {
                        e.changes[at].1 = true;
                        if verb == "renew" && body.contains("id=\"secret\"") {
                            e.key = input_value(&body, "secret");
                            e.key_unsure = false;
                        }
                    } else {
                        return;
                    }
                }
            }));
        }
        let wait = 200 + (rng() * 1_300.0) as u64;
        actix_web::rt::time::sleep(Duration::from_millis(wait)).await;
        server.kill();
        for c in clients {
            let _ = c.await;
        }
        server = start(dir.path(), port);

        // Let pending work converge, then check every known credential.
        let admin = Browser::at(&base);
        assert_eq!(
            admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            303,
            "cycle {cycle}: the database opens"
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = admin
                .html(&format!("/teams/{team}/applications/{}", h.c.application))
                .await;
            let busy = page.contains("…")
                || page.contains("Pending")
                || page.contains("waiting for data plane");
            if !busy || Instant::now() > deadline {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
        let snapshot = known.lock().unwrap().clone();
        // Credentials untouched since the last check were verified then.
        let touched: Vec<_> = snapshot
            .iter()
            .filter(|(id, k)| checked.get(*id) != Some(&k.changes.len()))
            .collect();
        for (id, k) in touched {
            checked.insert(id.clone(), k.changes.len());
            let res = admin.get(&format!("/teams/{team}/credentials/{id}")).await;
            let status = res.status().as_u16();
            let page = res.text().await.unwrap_or_default();
            let state = if status == 404 || page.contains("Deleting") {
                "deleted"
            } else if page.contains(">Inactive") {
                "inactive"
            } else if page.contains(">Active") {
                "active"
            } else {
                stuck += 1;
                continue;
            };
            // Allowed: the state after the last acknowledged change, or after any later one.
            let last_ack = k.changes.iter().rposition(|(_, a)| *a).unwrap_or(0);
            if !k.changes[last_ack..].iter().any(|(s, _)| *s == state) {
                lost += 1;
                eprintln!("cycle {cycle}: {id} is {state}; changes {:?}", k.changes);
            }
            if page.contains("Pending") || page.contains("…") {
                stuck += 1;
                eprintln!("cycle {cycle}: {id} has not converged");
            }
            // The gateway agrees with the portal.
            if !k.key_unsure {
                let res = Browser::at(&base)
                    .client
                    .get(format!("{base}/gateway/authorize"))
                    .header("X-API-Key", &k.key)
                    .header("X-Original-URI", "/weather/today")
                    .send()
                    .await
                    .unwrap();
                let code = res.status().as_u16();
                // An active key may meet the plan's quota (429): it was still recognised.
                let agrees = match state {
                    "active" => code == 200 || code == 429,
                    "inactive" => code == 403,
                    _ => code == 401,
                };
                if !agrees {
                    disagree += 1;
                    eprintln!("cycle {cycle}: {id} is {state} but the gateway answers {code}");
                }
            }
        }
        changes_acked = snapshot
            .values()
            .map(|k| k.changes.iter().filter(|(_, a)| *a).count())
            .sum();
        println!(
            "cycle {}: {} credentials, {changes_acked} acknowledged changes so far, lost {lost}, stuck {stuck}, disagreeing {disagree}",
            cycle + 1,
            snapshot.len()
        );
    }
    println!(
        "crash drill: {cycles} SIGKILL cycles, {changes_acked} acknowledged changes, {lost} lost, {stuck} stuck, {disagree} gateway disagreements"
    );
    assert_eq!((lost, stuck, disagree), (0, 0, 0));
}

/// The CSRF token of a page, or an error when the server is gone.
async fn tokio_token(b: &Browser, page: &str) -> Result<String, ()> {
    let res = b.get_checked(page).await.map_err(|_| ())?;
    if !res.status().is_success() {
        return Err(());
    }
    let html = res.text().await.map_err(|_| ())?;
    Ok(csrf_of(&html))
}
